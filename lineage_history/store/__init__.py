"""The database: schema, migrations on open, the writer, the reader and the SQL of every read,
connections. The only code that imports SQLAlchemy."""
