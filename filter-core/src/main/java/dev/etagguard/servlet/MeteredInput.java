package dev.etagguard.servlet;

import java.io.IOException;

import dev.etagguard.ContentRate;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;

/**
 * The client's request content, read under the write's permit, at no less than the write's
 * {@link ContentRate}: a blocking read waits for the client while it runs; a non-blocking reader
 * waits from the moment {@link #isReady()} says no until its next read. A client that falls
 * behind fails the read, and every later one.
 */
final class MeteredInput extends ServletInputStream {

  private final ServletInputStream in;
  private final ContentRate rate;

  MeteredInput(ServletInputStream in, ContentRate rate) {
    this.in = in;
    this.rate = rate;
  }

  @Override
  public int read() throws IOException {
    rate.waiting();
    int b = in.read();
    rate.arrived(b < 0 ? 0 : 1);
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    rate.waiting();
    int n = in.read(b, off, len);
    rate.arrived(n);
    return n;
  }

  @Override
  public boolean isFinished() {
    return in.isFinished();
  }

  @Override
  public boolean isReady() {
    boolean ready = in.isReady();
    if (!ready) {
      try {
        rate.waiting();
      } catch (IOException tooSlow) {
        return true; // the next read fails
      }
    }
    return ready;
  }

  @Override
  public void setReadListener(ReadListener listener) {
    in.setReadListener(listener);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
