"""The FastAPI app, its routers, authentication, error mapping and the command-line tool."""
