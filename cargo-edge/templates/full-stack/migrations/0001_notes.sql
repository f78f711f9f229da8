-- Applied by `cargo edge dev` locally and by `cargo edge deploy` remotely, once each.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
