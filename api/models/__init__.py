"""The admin API's inputs and answers, declared once as pydantic models.

Each model names its JSON fields in camelCase (the API's spelling) and its Python attributes in
snake_case (the columns'). `api/validation.py` reads a body through a model and turns the first
mistake into the API's one error format; `openapi/` builds its components from these models.
"""
