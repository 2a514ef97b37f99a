# perf script -F tid,ip,sym,dso output -> each thread's share of the samples, its libraries and
# its top symbols:  perf script -i perf.data -F tid,ip,sym,dso > s.txt; python3 aggregate.py s.txt [top]
import collections, re, sys


def samples(path):
    """(tid, symbol, library) of every sample line of `perf script -F tid,ip,sym,dso`."""
    for line in open(path):
        m = re.match(r'\s*(\d+)\s+([0-9a-f]+)\s+(.*)\s+\((.*)\)\s*$', line)
        if m:
            tid, _ip, sym, dso = m.groups()
            yield tid, sym, dso


if __name__ == '__main__':
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    by_t = collections.Counter()
    by_ts = collections.defaultdict(collections.Counter)
    by_td = collections.defaultdict(collections.Counter)
    total = 0
    for tid, sym, dso in samples(sys.argv[1]):
        dso = dso.split('/')[-1]
        if dso.startswith('perf-'):
            dso = 'JIT'
        sym = re.sub(r'\(anonymous namespace\)::', '', sym)[:110]
        by_t[tid] += 1
        by_ts[tid][f'{dso}: {sym}'] += 1
        by_td[tid][dso] += 1
        total += 1
    for tid, n in by_t.most_common():
        if n / total < 0.01:
            continue
        print(f'== tid {tid}: {100*n/total:.1f}% of samples; ' + ', '.join(f'{d} {100*c/n:.0f}%' for d, c in by_td[tid].most_common(5)))
        for s, c in by_ts[tid].most_common(top):
            print(f'   {100*c/n:5.1f}%  {s}')
