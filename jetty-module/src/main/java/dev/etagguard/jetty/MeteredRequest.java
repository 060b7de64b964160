package dev.etagguard.jetty;

import dev.etagguard.ContentRate;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * The client's request content, read under the write's permit, at no less than the write's
 * {@link ContentRate}: the reader waits for the client from a {@link #read()} that finds nothing
 * (it then demands) until the read that finds content. A client that falls behind gets a
 * failure chunk, the last, for that read and every later one.
 */
final class MeteredRequest extends Request.Wrapper {

  private final ContentRate rate;

  MeteredRequest(Request request, ContentRate rate) {
    super(request);
    this.rate = rate;
  }

  @Override
  public Content.Chunk read() {
    try {
      rate.waiting();
      Content.Chunk chunk = super.read();
      if (chunk != null && !Content.Chunk.isFailure(chunk)) {
        try {
          rate.arrived(chunk.remaining());
        } catch (ContentRate.TooSlowException tooSlow) {
          chunk.release();
          throw tooSlow;
        }
      }
      return chunk;
    } catch (ContentRate.TooSlowException tooSlow) {
      return Content.Chunk.from(tooSlow, true);
    }
  }
}
