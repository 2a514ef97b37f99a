glust query "SELECT service_name, count(*) AS spans, avg(duration_ns) / 1e6 AS avg_ms
             FROM spans WHERE day >= current_date - 1 GROUP BY ALL ORDER BY spans DESC"
glust query "SELECT time, severity_text, body FROM logs WHERE body ILIKE '%timeout%' LIMIT 20" --format json
