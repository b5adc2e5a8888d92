"""The studio on the web: the page at ``/app/`` (a Telegram Mini App that is also the public web page) and the HTTP
API under ``/api/v1`` that it and third parties use.

``api.StudioApi`` (routes, auth, limits), ``page.StudioPage`` (static page, security headers), ``initdata`` (Mini
App initData checks), ``web`` (anonymous sessions, CSRF, /link codes), ``keys`` (API keys), ``telegram`` (menu
button, Stars invoice links), ``delivery`` (web visitors' jobs), ``openapi`` and ``models`` (the document and its
pydantic models).
"""
