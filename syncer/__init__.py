"""The sync worker: mirrors GitHub accounts into the database (`syncer once`, `syncer run`)."""
