package dev.etagguard.jetty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.content.ByteBufferContentSource;
import org.eclipse.jetty.io.content.PathContentSource;
import org.eclipse.jetty.server.Request;
import org.jspecify.annotations.Nullable;

/**
 * A write's request with its whole content already received: the guard reads the content before
 * it takes the resource's permit, so a slow client never holds a permit while it sends. The
 * content is read asynchronously (demand callbacks, no thread waits for the client), kept in
 * memory up to {@value #MEMORY_LIMIT} bytes and beyond that in a temporary file (prefix
 * {@value #TEMP_PREFIX}), deleted when the exchange completes, however it completes.
 *
 * <p>The handler behind it reads the same bytes, ending with EOF; headers (Content-Length
 * included) are the client's, and {@link #getLength()} is the received length.
 */
final class SpooledRequest extends Request.Wrapper {

  /** The bytes of one request's content kept in memory; more go to a temporary file. */
  static final int MEMORY_LIMIT = 64 * 1024;
  /** The name prefix of the temporary files. */
  static final String TEMP_PREFIX = "etagguard-body-";
  /**
   * The most bytes of one request's content received before the permit: the rest streams from
   * the client to the handler under the permit, so no request holds more than this on disk.
   */
  static final long LIMIT = 8L * 1024 * 1024;

  private final Content.Source content;
  private final long length;

  private SpooledRequest(Request request, Content.Source content, long length) {
    super(request);
    this.content = content;
    this.length = length;
  }

  /**
   * Receives the whole content of {@code request}, up to {@link #LIMIT} bytes, then calls
   * {@code then} with the request serving it (beyond the limit, the rest read from {@code rest}, the
   * request's own content as the handler is to read it under the permit); or calls {@code failed}
   * once if the content cannot be read (the client went away, a bad chunk, the temporary file
   * failed). Either may run on the calling thread.
   */
  static void spool(Request request, Content.Source rest, Consumer<SpooledRequest> then,
      Consumer<Throwable> failed) {
    new Reader(request, rest, then, failed).run();
  }

  @Override
  public long getLength() {
    return length;
  }

  @Override
  public Content.Chunk read() {
    return content.read();
  }

  @Override
  public void demand(Runnable demandCallback) {
    content.demand(demandCallback);
  }

  @Override
  public void fail(Throwable failure) {
    content.fail(failure);
  }

  @Override
  public boolean consumeAvailable() {
    // Everything has arrived: consuming is draining what the handler left.
    while (true) {
      Content.Chunk chunk = content.read();
      if (chunk == null || Content.Chunk.isFailure(chunk)) {
        return true;
      }
      chunk.release();
      if (chunk.isLast()) {
        return true;
      }
    }
  }

  /** The content received before the permit, then the rest of it as the client sends it. */
  private static final class Joined implements Content.Source {
    private final Content.Source received;
    private final Content.Source rest;
    private volatile boolean inRest;

    Joined(Content.Source received, Content.Source rest) {
      this.received = received;
      this.rest = rest;
    }

    @Override
    public Content.Chunk read() {
      if (inRest) {
        return rest.read();
      }
      Content.Chunk chunk = received.read();
      if (chunk == null || Content.Chunk.isFailure(chunk) || !chunk.isLast()) {
        return chunk;
      }
      inRest = true;
      if (chunk.hasRemaining()) {
        return Content.Chunk.from(chunk.getByteBuffer(), false, chunk::release);
      }
      chunk.release();
      return rest.read();
    }

    @Override
    public void demand(Runnable demandCallback) {
      if (inRest) {
        rest.demand(demandCallback);
      } else {
        received.demand(demandCallback);
      }
    }

    @Override
    public void fail(Throwable failure) {
      received.fail(failure);
      rest.fail(failure);
    }
  }

  /** The server could not keep the content (the temporary file failed): not the client's fault. */
  static final class StorageFailure extends IOException {
    private static final long serialVersionUID = 1L;

    StorageFailure(Throwable cause) {
      super("request content could not be stored", cause);
    }
  }

  /** Reads the client's content with demand callbacks into memory, then into a temporary file. */
  private static final class Reader implements Runnable {
    private final Request request;
    private final Content.Source rest;
    private final Consumer<SpooledRequest> then;
    private final Consumer<Throwable> failed;
    private byte[] memory = new byte[0];
    private int inMemory;
    private long total;
    private @Nullable Path file;
    private @Nullable FileChannel channel;

    Reader(Request request, Content.Source rest, Consumer<SpooledRequest> then, Consumer<Throwable> failed) {
      this.request = request;
      this.rest = rest;
      this.then = then;
      this.failed = failed;
    }

    @Override
    public void run() {
      while (true) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          Throwable failure = chunk.getFailure();
          // A transient failure (an idle timeout) ends the spooling too: the write is abandoned.
          fail(failure != null ? failure : new IOException("request content failed"));
          return;
        }
        try {
          if (chunk.hasRemaining()) {
            append(chunk.getByteBuffer());
          }
        } catch (IOException | RuntimeException x) {
          chunk.release();
          fail(new StorageFailure(x));
          return;
        }
        boolean last = chunk.isLast();
        chunk.release();
        if (last) {
          complete(false);
          return;
        }
        if (total >= LIMIT) {
          complete(true); // the rest is read from the client by the handler
          return;
        }
      }
    }

    private void append(ByteBuffer buffer) throws IOException {
      int n = buffer.remaining();
      total += n;
      if (channel == null && inMemory + (long) n <= MEMORY_LIMIT) {
        if (inMemory + n > memory.length) {
          long expected = request.getLength();
          int size = Math.max(inMemory + n, Math.min(MEMORY_LIMIT, Math.max(memory.length * 2, 4096)));
          if (expected > 0 && expected <= MEMORY_LIMIT) {
            size = Math.max(inMemory + n, (int) expected);
          }
          memory = java.util.Arrays.copyOf(memory, Math.min(size, MEMORY_LIMIT));
        }
        buffer.get(memory, inMemory, n);
        inMemory += n;
        return;
      }
      if (channel == null) {
        Path path = Files.createTempFile(TEMP_PREFIX, ".tmp");
        file = path;
        // Deleted when the exchange completes, succeeded or failed.
        Request.addCompletionListener(request, failure -> deleteQuietly(path));
        channel = FileChannel.open(path, StandardOpenOption.WRITE);
        writeFully(ByteBuffer.wrap(memory, 0, inMemory));
        memory = new byte[0];
        inMemory = 0;
      }
      writeFully(buffer.duplicate());
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
      FileChannel c = java.util.Objects.requireNonNull(channel);
      while (buffer.hasRemaining()) {
        c.write(buffer);
      }
    }

    private void complete(boolean more) {
      Content.Source source;
      try {
        FileChannel c = channel;
        Path path = file;
        if (c != null && path != null) {
          c.close();
          channel = null;
          source = new PathContentSource(path, request.getComponents().getByteBufferPool());
        } else {
          source = new ByteBufferContentSource(ByteBuffer.wrap(memory, 0, inMemory));
        }
      } catch (IOException | RuntimeException x) {
        fail(new StorageFailure(x));
        return;
      }
      Content.Source received = source;
      // A handler that stops reading early leaves the file open: close it with the exchange.
      Request.addCompletionListener(request, failure -> received.fail(new IOException("exchange complete")));
      then.accept(more ? new SpooledRequest(request, new Joined(received, rest), request.getLength())
          : new SpooledRequest(request, received, total));
    }

    private void fail(Throwable failure) {
      closeQuietly();
      memory = new byte[0];
      failed.accept(failure);
    }

    private void closeQuietly() {
      FileChannel c = channel;
      channel = null;
      if (c != null) {
        try {
          c.close();
        } catch (IOException ignored) {
          // the file is deleted with the exchange
        }
      }
      Path path = file;
      if (path != null) {
        deleteQuietly(path);
      }
    }

    private static void deleteQuietly(Path path) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // nothing more to do
      }
    }
  }
}
