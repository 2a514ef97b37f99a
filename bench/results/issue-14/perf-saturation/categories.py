# perf script -F tid,ip,sym,dso output -> the share of all samples by kind of code.
import collections, sys
from aggregate import samples

c = collections.Counter()
n = 0
for tid, sym, dso in samples(sys.argv[1]):
    if 'kallsyms' in dso:
        k = 'kernel: sleep and wake-up' if any(s in sym for s in ('finish_task_switch', '_raw_spin_unlock', 'schedule', 'try_to_wake')) else 'kernel: other'
    elif 'perf-' in dso:
        k = 'JS, optimised (TurboFan)' if 'JS:*' in sym else 'JS, not optimised'
    elif dso.endswith('/node') or dso == 'node':
        k = 'V8 builtins (inline caches, interpreter, baseline code)' if sym.startswith('Builtins_') else 'node and V8 C++ (GC, messages, runtime)'
    elif 'duckdb' in dso:
        k = 'DuckDB'
    else:
        k = 'libc and other libraries'
    c[k] += 1
    n += 1
for k, v in c.most_common():
    print(f'{100 * v / n:5.1f}%  {k}')
