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
 *   files 4–12% bigger until compaction rewrites the day in the same row groups (flush files now
 *   use smaller ones still, FLUSH_ROW_GROUP_ROWS below). A trace looked
 *   up by id also decodes one smaller group (32 ms instead of 51 ms on the benchmark's compacted
 *   file), and min/max statistics skip in finer steps.
 * - Parquet version 2 encodings (DELTA_BINARY_PACKED for integers and times, DELTA_LENGTH_BYTE_ARRAY
 *   for strings): flush files of testbed and realistic spans 8% smaller, realistic logs 2.7%,
 *   realistic metrics 1% bigger; queries as fast or faster; conversion CPU and memory the same
 *   within this machine's noise (issue 14, bench/results/issue-14/parquet-v2/). DuckDB does not
 *   make it its default because some readers outside it lack these encodings; Arrow (pyarrow),
 *   parquet-java (Spark), arrow-rs and polars have them. Older files stay version 1; both read
 *   together.
 */
export function parquetWriteOptions(rowGroupRows = 16384, bloomFilters = true): string {
  const options = `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE ${rowGroupRows}, PARQUET_VERSION V2`;
  return bloomFilters ? options : `${options}, WRITE_BLOOM_FILTER false`;
}

export const PARQUET_WRITE_OPTIONS = parquetWriteOptions();

/**
 * Flush files (one per WAL segment, parquet.ts) in row groups of 8192 rows: conversions are the
 * writer's largest allocation. One of a 64 MiB segment of testbed spans with 16384-row groups
 * peaked about 90 MB above the process, successive ones up to about 165 MB; the row group is one
 * part of it, DuckDB's JSON reader (which takes no smaller buffers) much of the rest. With 8192
 * the peak over three conversions was about 35 MB lower, the same CPU, files 3.5% bigger;
 * through 5x overload the server's peak RSS was 387-445 MB against 414-503 (issue 14,
 * bench/results/issue-14/conversion-memory/). Flush files live until the day's compaction
 * rewrites them in 16384-row groups.
 *
 * Flush files carry no bloom filters. DuckDB writes one per dictionary-encoded column chunk; in a
 * flush file, which holds every service's rows in arrival order, a value is nearly always in a
 * chunk's dictionary or outside its min/max. So a filter there costs bytes and a read and rarely
 * skips a row group. Without them the flush files of the benchmark's four loads were 0.4–0.7 B
 * per row smaller (1–3%), and no query of the API's kinds was slower. Looking a testbed trace up
 * by id took 10.8 / 10.2 / 9.9 ms against 14.0 / 12.9 / 11.7 (issue 14,
 * bench/results/issue-14/bloom/). Compacted files, sorted and long-lived, keep theirs.
 */
export const FLUSH_ROW_GROUP_ROWS = 8192;
export const FLUSH_WRITE_OPTIONS = parquetWriteOptions(FLUSH_ROW_GROUP_ROWS, false);
