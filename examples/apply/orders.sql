CREATE TEMPORARY TABLE orders (id BIGINT, customer STRING) WITH ('connector' = 'datagen');
CREATE TEMPORARY TABLE enriched (id BIGINT, customer STRING) WITH ('connector' = 'blackhole');
INSERT INTO enriched SELECT id, customer FROM orders;
