"""The workspace service (`gains serve`): an ASGI app and JSON API over the store and the library."""
