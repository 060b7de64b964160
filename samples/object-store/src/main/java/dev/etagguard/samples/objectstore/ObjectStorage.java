package dev.etagguard.samples.objectstore;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Deliberately slow, chunked, lock-free storage, the way a naive object store keeps its data: the
 * bytes of a named object live in a blob of fixed-size chunks that a write overwrites in place,
 * chunk by chunk, and only then is its metadata (size, MD5) written, as a separate step. Readers
 * look up the metadata, then read the blob chunk by chunk. Each chunk and the metadata step take
 * a small configurable {@link Delays delay}, so concurrent operations on one name really
 * interleave:
 *
 * <ul>
 *   <li>two writes of one name mix their chunks, and the metadata is whichever came last;
 *   <li>a read during a write returns the old chunks, then new ones, or stops at a chunk the
 *       write has truncated (a partial body);
 *   <li>a delete frees the blob at once: a read in progress stops short, and a write in progress
 *       goes on into the freed blob and then writes metadata for data that is gone, so the name
 *       is listed but cannot be read.
 * </ul>
 *
 * <p>Nothing here knows HTTP or ETags. A {@link Probe} observes each step, for demos and tests.
 * Thread-safe in the Java sense (no torn references), and deliberately not atomic per name.
 */
public final class ObjectStorage {

  /** The context attribute under which a webapp finds its storage. */
  public static final String ATTRIBUTE = ObjectStorage.class.getName();

  /**
   * How slow the storage is.
   *
   * @param chunkSize the bytes per chunk of a blob
   * @param chunkDelay the time to write or read one chunk
   * @param metadataDelay the time to write the metadata, after the data
   */
  public record Delays(int chunkSize, Duration chunkDelay, Duration metadataDelay) {

    /** 1 KiB chunks, 1 ms per chunk, 10 ms for the metadata. */
    public static final Delays DEFAULT = new Delays(1024, Duration.ofMillis(1), Duration.ofMillis(10));

    /** No delays, for a fast store. */
    public static final Delays NONE = new Delays(64 * 1024, Duration.ZERO, Duration.ZERO);

    /** Checks the values. */
    public Delays {
      if (chunkSize < 1) {
        throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
      }
      if (chunkDelay.isNegative() || metadataDelay.isNegative()) {
        throw new IllegalArgumentException("delays must not be negative");
      }
    }
  }

  /** A step of the storage's work, as a {@link Probe} sees it. */
  public enum Step {
    /** A write is about to store data chunk {@code chunk}. */
    DATA_CHUNK,
    /** A write has stored its data and starts writing the metadata. */
    METADATA,
    /** A write has stored its metadata: done. */
    WRITTEN,
    /** A read is about to read chunk {@code chunk}. */
    READ_CHUNK,
    /** A delete is about to remove the name. */
    DELETE
  }

  /** Observes the storage's steps (for demos and tests); called on the working thread. */
  @FunctionalInterface
  public interface Probe {
    /** Nothing. */
    Probe NONE = (step, name, chunk) -> { };

    /**
     * A step is reached.
     *
     * @param step the step
     * @param name the name it works on
     * @param chunk the chunk index, or -1
     */
    void reached(Step step, String name, int chunk);
  }

  /**
   * What the metadata records of a stored object.
   *
   * @param size the byte count of the data written
   * @param md5 the lower-case hex MD5 of the data written (the store's own checksum)
   * @param modified when the metadata was written
   */
  public record Meta(long size, String md5, Instant modified) {
  }

  private final Delays delays;
  private final ConcurrentHashMap<String, Blob> blobs = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Meta> metas = new ConcurrentHashMap<>();
  private volatile Probe probe = Probe.NONE;

  /** Storage with the given delays. */
  public ObjectStorage(Delays delays) {
    this.delays = Objects.requireNonNull(delays, "delays");
  }

  /** The delays. */
  public Delays delays() {
    return delays;
  }

  /** Sets the probe that observes each step ({@link Probe#NONE} for none). */
  public void probe(Probe probe) {
    this.probe = Objects.requireNonNull(probe, "probe");
  }

  /**
   * Writes {@code data} under {@code name}: truncates the name's blob, stores the chunks one by
   * one, then the metadata.
   *
   * @return the metadata written
   */
  public Meta write(String name, byte[] data) throws InterruptedException {
    int size = delays.chunkSize();
    int chunks = (data.length + size - 1) / size;
    Blob blob = blobs.compute(name, (k, existing) -> {
      Blob b = existing != null ? existing : new Blob();
      b.truncate(chunks);
      return b;
    });
    for (int i = 0; i < chunks; i++) {
      pause(delays.chunkDelay());
      probe.reached(Step.DATA_CHUNK, name, i);
      int from = i * size;
      byte[] chunk = new byte[Math.min(size, data.length - from)];
      System.arraycopy(data, from, chunk, 0, chunk.length);
      blob.store(i, chunk);
    }
    probe.reached(Step.METADATA, name, -1);
    pause(delays.metadataDelay());
    Meta meta = new Meta(data.length, md5(data), Instant.now());
    metas.put(name, meta);
    probe.reached(Step.WRITTEN, name, -1);
    return meta;
  }

  /** The metadata of {@code name}, or {@code null}. */
  public Meta meta(String name) {
    return metas.get(name);
  }

  /**
   * Opens {@code name} for reading: its metadata and its blob, or {@code null} when either is
   * missing (not found).
   */
  public Download open(String name) {
    Meta meta = metas.get(name);
    Blob blob = blobs.get(name);
    return meta == null || blob == null ? null : new Download(name, meta, blob);
  }

  /**
   * Reads all of {@code name}, or {@code null} when it is not found. May be partial or mixed when
   * a write or delete runs meanwhile.
   */
  public byte[] readAll(String name) throws IOException, InterruptedException {
    Download d = open(name);
    if (d == null) {
      return null;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) d.meta().size());
    d.copy(out, 0, d.meta().size() - 1);
    return out.toByteArray();
  }

  /**
   * Removes the metadata of {@code name}, then frees its blob.
   *
   * @return whether there was something to remove
   */
  public boolean delete(String name) {
    probe.reached(Step.DELETE, name, -1);
    Meta meta = metas.remove(name);
    Blob blob = blobs.remove(name);
    if (blob != null) {
      blob.truncate(0);
    }
    return meta != null || blob != null;
  }

  /** The metadata of every name that starts with {@code prefix}, by the rest of the name. */
  public SortedMap<String, Meta> list(String prefix) {
    SortedMap<String, Meta> found = new TreeMap<>();
    for (Map.Entry<String, Meta> e : metas.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        found.put(e.getKey().substring(prefix.length()), e.getValue());
      }
    }
    return found;
  }

  /** The lower-case hex MD5 of {@code data}. */
  public static String md5(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has MD5", e);
    }
  }

  private static void pause(Duration d) throws InterruptedException {
    if (!d.isZero()) {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
    }
  }

  @Override
  public String toString() {
    return "ObjectStorage{" + delays + ", " + metas.size() + " objects}";
  }

  /** An object being read: its metadata as found when opened, and its blob as it is now. */
  public final class Download {
    private final String name;
    private final Meta meta;
    private final Blob blob;

    private Download(String name, Meta meta, Blob blob) {
      this.name = name;
      this.meta = meta;
      this.blob = blob;
    }

    /** The metadata found when the download was opened. */
    public Meta meta() {
      return meta;
    }

    /**
     * Copies bytes {@code first} to {@code last} (inclusive) chunk by chunk; stops early at a
     * chunk that is not there (truncated by a write, or freed by a delete).
     *
     * @return the number of bytes copied
     */
    public long copy(OutputStream out, long first, long last) throws IOException, InterruptedException {
      int size = delays.chunkSize();
      long copied = 0;
      for (long i = first / size; i * size <= last; i++) {
        pause(delays.chunkDelay());
        probe.reached(Step.READ_CHUNK, name, (int) i);
        byte[] chunk = blob.load((int) i);
        if (chunk == null) {
          break;
        }
        long chunkStart = i * size;
        int from = (int) Math.max(0, first - chunkStart);
        int to = (int) Math.min(chunk.length, last - chunkStart + 1);
        if (to <= from) {
          break;
        }
        out.write(chunk, from, to - from);
        copied += to - from;
      }
      return copied;
    }
  }

  /** A blob: chunk slots, truncated (replaced by empty slots) by each new write and by a delete. */
  private static final class Blob {
    private volatile AtomicReferenceArray<byte[]> slots = new AtomicReferenceArray<>(0);

    void truncate(int chunks) {
      slots = new AtomicReferenceArray<>(chunks);
    }

    void store(int index, byte[] chunk) {
      AtomicReferenceArray<byte[]> s = slots;
      if (index < s.length()) {
        s.set(index, chunk);
      }
    }

    byte[] load(int index) {
      AtomicReferenceArray<byte[]> s = slots;
      return index < s.length() ? s.get(index) : null;
    }
  }
}
