"""The OpenAPI 3.1 document of Inbound's HTTP API, generated from the route table.

`document.build_document` walks the app's routes; `operations.OPERATIONS` adds a summary and
schemas per route; `render.render_reference` turns the document into the /docs page.
"""
