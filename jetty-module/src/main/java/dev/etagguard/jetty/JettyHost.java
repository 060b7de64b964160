package dev.etagguard.jetty;

import java.io.InputStream;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.ContentRate;
import dev.etagguard.Exchange;
import dev.etagguard.ReadDecision;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResponseView;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * One request's host: the flow's steps in Jetty's terms. Nothing blocks: the flow continues in
 * the callbacks of the handler, the content and the permit, on the server's executor.
 */
final class JettyHost implements Exchange.Host {
  private final Handler next;
  private final SecurityWatch security;
  private final Exchange exchange;
  /** The client's request, then (once a write's content has arrived) the request serving that content. */
  private Request request;
  private final Response response;
  private final Callback callback;
  private final Executor executor;
  private final boolean head;
  /**
   * The thread in {@link ETagGuardHandler#handle} while it runs the flow: a wrapped handler that
   * declines the request on it lets the server answer, as without the guard.
   */
  private volatile @Nullable Thread handling = Thread.currentThread();
  private boolean notHandled;
  private @Nullable ReadDecision early;
  /** The pace of the content a write reads from its client under its permit. */
  private @Nullable ContentRate rate;

  JettyHost(Handler next, SecurityWatch security, Exchange exchange, Request request, Response response,
      Callback callback) {
    this.next = next;
    this.security = security;
    this.exchange = exchange;
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.executor = request.getComponents().getExecutor();
    this.head = "HEAD".equals(request.getMethod());
  }

  /** Whether {@link ETagGuardHandler#handle} handled the request: not when the wrapped handler declined it there. */
  boolean handled() {
    handling = null;
    return !notHandled;
  }

  /** The exchange is over, its permit released: the request's callback completes. */
  void completed(@Nullable Void v, @Nullable Throwable failure) {
    if (notHandled) {
      return; // the server answers the request it was told was not handled
    }
    if (failure == null) {
      callback.succeeded();
    } else {
      callback.failed(failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure);
    }
  }

  /** A callback that completes a stage of the flow, of the request's invocation type. */
  private Callback into(CompletableFuture<Void> stage) {
    return Callback.from(callback.getInvocationType(), () -> stage.complete(null), stage::completeExceptionally);
  }

  /** The wrapped handler did not handle the request: on the handle thread, the server says 404; later, the host. */
  private void declined(CompletableFuture<Exchange.Captured> result, CapturingResponse capture) {
    if (handling == Thread.currentThread()) {
      notHandled = true;
      result.complete(capture.notHandled());
      return;
    }
    Response.writeError(request, response, Callback.from(callback.getInvocationType(),
        () -> result.complete(capture.notHandled()), result::completeExceptionally), 404);
  }

  @Override
  public <T> CompletionStage<T> await(CompletableFuture<T> permit) {
    if (permit.isDone()) {
      return permit; // uncontended: at once, on this thread
    }
    return permit.whenCompleteAsync((granted, failure) -> { }, executor);
  }

  @Override
  public boolean securedBehind() {
    // Option authoritativePaths: never before Jetty's authentication and authorization, which run
    // behind this handler; where constraints are behind it, the handler answers.
    return security.securedBehind(next);
  }

  @Override
  public CompletionStage<Void> receiveContent() {
    if (request.getLength() == 0 || request.getHeaders().contains(HttpHeader.EXPECT)) {
      // No content, or a client that waits to hear first (Expect: 100-continue): a refusal
      // comes before any content, which the handler then reads.
      return CompletableFuture.completedFuture(null);
    }
    // Read with demand callbacks (no thread waits), spooled to a file beyond 64 KiB.
    CompletableFuture<Void> received = new CompletableFuture<>();
    SpooledRequest.spool(request, new MeteredRequest(request, rate()), spooled -> {
      request = spooled;
      executor.execute(() -> received.complete(null));
    }, received::completeExceptionally);
    return received;
  }

  @Override
  public CompletionStage<Void> contentFailed(Answer incomplete, Throwable failure) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    if (response.isCommitted()) {
      return CompletableFuture.failedFuture(failure);
    }
    // The storage failed: not the client's fault (500). Jetty's own 4xx (e.g. 413) stands; else 400.
    int status = failure instanceof SpooledRequest.StorageFailure ? 500
        : failure instanceof org.eclipse.jetty.http.HttpException http && http.getCode() > 400
            && http.getCode() < 500 ? http.getCode() : 400;
    if (status == 400) {
      JettyAnswers.send(incomplete, response, into(sent));
      return sent;
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
    response.write(true, null, into(sent));
    return sent;
  }

  @Override
  public InputStream content() {
    // Runs on the executor (never on a selector thread), so reading the content of a possible
    // retry blocking is allowed here.
    return Content.Source.asInputStream(reading());
  }

  private ContentRate rate() {
    ContentRate r = rate;
    if (r == null) {
      r = exchange.contentRate();
      rate = r;
    }
    return r;
  }

  /**
   * The request whose content a write's handler reads: the content received before the permit
   * (the rest, beyond it, metered), or the client's own (with {@code Expect: 100-continue}) metered.
   */
  private Request reading() {
    return request instanceof SpooledRequest ? request : new MeteredRequest(request, rate());
  }

  @Override
  public CompletionStage<Void> answer(Answer answer) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    JettyAnswers.consumeOrClose(request, response);
    JettyAnswers.send(answer, response, into(sent));
    return sent;
  }

  @Override
  public CompletionStage<Exchange.Captured> read(Set<String> hiddenFields, BodyBuffer body,
      Function<ResponseView, ReadDecision> spill) {
    CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
    CapturingResponse capture = new CapturingResponse(request, response, body, head, c -> {
      // The body outgrew the buffer: decide on the handler's own validators, then stream or answer.
      ReadDecision decision = spill.apply(c);
      early = decision;
      if (decision.action() == ReadDecision.Action.FULL || decision.action() == ReadDecision.Action.PASS) {
        decision.headers().forEach(response.getHeaders()::put);
        return true;
      }
      return false;
    });
    Callback done = new Callback() {
      @Override
      public void succeeded() {
        result.complete(capture);
      }

      @Override
      public void failed(Throwable x) {
        if (capture.completed()) {
          // The handler's response is complete and held: it goes out, then the failure, as it would
          // without the guard. Jetty's servlet layer fails every response the DefaultServlet writes
          // through the core response (it counts no bytes against the Content-Length it saw).
          result.complete(capture.failedAfter(x));
        } else {
          result.completeExceptionally(x);
        }
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
    try {
      if (!next.handle(head || !hiddenFields.isEmpty() ? GuardedRequest.reading(request, head, hiddenFields) : request,
          capture, done)) {
        declined(result, capture);
      }
    } catch (Throwable x) {
      result.completeExceptionally(x);
    }
    return result;
  }

  @Override
  public CompletionStage<Void> sendRead(ReadDecision decision, Exchange.@Nullable Captured captured) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    BodyBuffer body = captured == null ? null : ((CapturingResponse) captured).body();
    JettyAnswers.apply(decision, request, response, body, head, into(sent));
    return sent;
  }

  @Override
  public CompletionStage<Void> finishStreamed(Exchange.Captured captured) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    CapturingResponse capture = (CapturingResponse) captured;
    ReadDecision decided = early;
    if (decided != null && capture.discarding() && decided.action() != ReadDecision.Action.FULL
        && decided.action() != ReadDecision.Action.PASS) {
      JettyAnswers.apply(decided, request, response, null, head, into(sent));
    } else {
      capture.finishPassedOn(into(sent));
    }
    return sent;
  }

  @Override
  public CompletionStage<Exchange.Captured> write(BodyBuffer body, EntityTagGenerator.@Nullable Digest contentDigest,
      OptionalLong fencingToken) {
    fencingToken.ifPresent(token -> request.setAttribute(Exchange.FENCING_TOKEN_ATTRIBUTE, token));
    Request reading = reading();
    GuardedRequest handlerRequest = contentDigest != null ? GuardedRequest.digesting(reading, contentDigest) : null;
    CapturingResponse capture = new CapturingResponse(request, response, body, false, c -> true);
    CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
    Callback done = new Callback() {
      @Override
      public void succeeded() {
        // Off the handler's completing thread: the internal GET may run a whole request.
        executor.execute(() -> {
          if (rate().tooSlow() && !response.isCommitted()) {
            tooSlow(result, capture);
            return;
          }
          result.complete(handlerRequest == null ? capture
              : capture.content(handlerRequest.bodyTag(), handlerRequest.bodyLength()));
        });
      }

      @Override
      public void failed(Throwable x) {
        if (rate().tooSlow() && !response.isCommitted()) {
          tooSlow(result, capture);
        } else {
          result.completeExceptionally(x);
        }
      }
    };
    try {
      if (!next.handle(handlerRequest != null ? handlerRequest : reading, capture, done)) {
        handling = null; // a write's refusal always comes from the guard
        declined(result, capture);
      }
    } catch (Throwable x) {
      done.failed(x);
    }
    return result;
  }

  /**
   * The client sent its content under the permit too slowly (option {@code minContentRate}) and
   * the response has not gone out: 408 in its place. The write ends, and its permit is released,
   * when the answer is sent.
   */
  private void tooSlow(CompletableFuture<Exchange.Captured> result, CapturingResponse capture) {
    response.reset();
    JettyAnswers.send(exchange.slowContent(), response, Callback.from(callback.getInvocationType(),
        () -> result.complete(capture.answeredInstead()), result::completeExceptionally));
  }

  @Override
  public CompletionStage<Void> sendWrite(Exchange.Captured captured, Map<String, String> fields,
      @Nullable Answer failure) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    CapturingResponse capture = (CapturingResponse) captured;
    if (failure != null && capture.holding() && !response.isCommitted()) {
      response.reset();
      JettyAnswers.send(failure, response, into(sent));
    } else if (!capture.holding()) {
      capture.finishPassedOn(into(sent));
    } else {
      fields.forEach(response.getHeaders()::put);
      BodyBuffer held = capture.body();
      JettyAnswers.writeHeld(response, held, 0, held.count(), false, into(sent));
    }
    return sent;
  }

  /** Runs a GET of the same resource through the wrapped handler, detached from the client. */
  @Override
  public CompletionStage<Exchange.Captured> internalGet(Set<String> keyParameters, BodyBuffer body) {
    GuardedRequest get = GuardedRequest.internalGet(request, keyParameters);
    DetachedResponse detached = new DetachedResponse(get, response, body);
    CompletableFuture<Exchange.Captured> result = new CompletableFuture<>();
    Callback got = new Callback() {
      @Override
      public void succeeded() {
        executor.execute(() -> result.complete(detached));
      }

      @Override
      public void failed(Throwable x) {
        // A complete response stands (see read): Jetty's servlet layer fails the DefaultServlet's.
        if (!detached.hasLastWrite()) {
          detached.failed();
        }
        executor.execute(() -> result.complete(detached));
      }
    };
    try {
      if (!next.handle(get, detached, got)) {
        detached.setStatus(404);
        got.succeeded();
      }
    } catch (Throwable x) {
      got.failed(x);
    }
    return result;
  }
}
