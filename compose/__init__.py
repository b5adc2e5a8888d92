"""compose: prompt intake and the studio use-cases the chat and the web studio call (issue 14, item 5)."""
