curl 'localhost:4318/api/traces?service=checkout&status=error&start=2026-11-22T09:00:00Z'
curl 'localhost:4318/api/traces/4bf92f3577b34da6a3ce929d0e0e4736'
curl 'localhost:4318/api/logs?q=timeout&severity=warn&limit=20'
curl -N 'localhost:4318/api/tail?signal=logs&service=checkout'
