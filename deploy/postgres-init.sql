-- One database per service, owned by the compose user (POSTGRES_USER=eoffice).
-- Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d).
CREATE DATABASE dak;
CREATE DATABASE files;
CREATE DATABASE signing;
CREATE DATABASE notify;
CREATE DATABASE metrics;
CREATE DATABASE search;
CREATE DATABASE desk;
