"""The history as pages a person clicks: `serve` (a local, read-only web server) and `report`
(the same views as a static site). Owns the web framework (Starlette, uvicorn), the page
templates and the browser script with its vendored libraries under `static/`. Imports `dag`,
`repo`, `store`, `definitions`, `queries` and `output` only; nothing else imports it but the
command line, and only inside the two commands."""
