curl -X POST localhost:4318/api/metrics -H 'Content-Type: application/json' \
  -d '{"metric_name": "cpu_usage", "value": 75.5, "attributes": {"host": "web-1"}, "service": "billing"}'
