"""The studio on the web: the page at ``/app/`` (a Telegram Mini App that is also the public web page) and the HTTP
API under ``/api/v1`` that it and third parties use.

``api.StudioApi`` (the endpoint table and the plumbing every request goes through), ``auth`` (who is calling),
``tracks`` and ``account`` (the operations), ``errors`` (problem answers), ``headers`` (security headers on every
studio answer), ``page.StudioPage`` (static page), ``initdata`` (Mini App initData checks), ``web`` (anonymous
sessions, CSRF, /link codes), ``keys`` (API keys), ``telegram`` (menu button, Stars invoice links), ``delivery``
(web visitors' jobs), ``openapi`` and ``models`` (the document and its pydantic models).
"""
