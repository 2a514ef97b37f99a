/**
 * How Glust writes every Parquet file, in one place: flush files (parquet.ts), compacted files
 * (compact.ts) and trace index files (trace-index.ts, with smaller row groups of their own).
 *
 * - ZSTD level 1: on this machine it costs about 20% less CPU than the default level 3 and the
 *   files came out no bigger for span rows (bench/results has the measurement).
 * - Row groups of 16384 rows. DuckDB's Parquet writer holds a whole row group in memory before
 *   it writes it: with its default of 122880 rows, converting a 64 MiB segment of testbed spans
 *   held about 310 MB, most of the server's RSS at saturation (issue 14: peak 935 → 515 MB at
 *   230k spans/s, bench/results/issue-14/rss/). CPU per row is the same (3.3 vs 3.4 µs) and the
 *   files 4–12% bigger until compaction rewrites the day in the same row groups. A trace looked
 *   up by id also decodes one smaller group (32 ms instead of 51 ms on the benchmark's compacted
 *   file), and min/max statistics skip in finer steps.
 */
export function parquetWriteOptions(rowGroupRows = 16384): string {
  return `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE ${rowGroupRows}`;
}

export const PARQUET_WRITE_OPTIONS = parquetWriteOptions();
