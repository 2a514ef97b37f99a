SELECT trace_id, name, duration_ns / 1e6 AS ms
FROM read_parquet('glust-data/spans/**/*.parquet', hive_partitioning = true)
WHERE day >= current_date - 1 AND status_code = 'ERROR'
ORDER BY duration_ns DESC LIMIT 10;
