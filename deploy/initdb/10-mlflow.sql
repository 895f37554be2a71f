-- Run once by the postgres image on an empty data folder: MLflow's runs get a database of their own.
CREATE DATABASE mlflow OWNER ik;
