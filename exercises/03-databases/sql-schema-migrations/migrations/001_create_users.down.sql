-- Undoes 001 exactly.
DROP TABLE users;
