package dev.etagguard;

import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.RequestView;
import dev.etagguard.spi.ResponseView;

import org.jspecify.annotations.Nullable;

/**
 * One guarded request, driven through the guard's whole flow once, for every server: admission,
 * permits, the internal GET, precondition evaluation, capture and digest, the guard's answers
 * (304, 412, 428, 206, 416, 503), commit and release. A server takes part only through a
 * {@link Host}, which translates the flow's few steps into its own types; the flow never blocks
 * itself: a blocking host waits in {@link Host#await}, a non-blocking one continues there.
 *
 * <pre>
 * READ:  [permit] -&gt; answer from the store? -&gt; run the handler (captured) -&gt; decide -&gt; send
 * WRITE: receive content -&gt; permit -&gt; [internal GET] -&gt; decide -&gt; run the handler (captured)
 *        -&gt; record -&gt; [internal GET] -&gt; send
 * </pre>
 *
 * <p>The permit is released when the stage {@link #run} returns completes, however it completes,
 * or when the host calls {@link #close()} for a request abandoned on its side.
 *
 * @since 0.3
 */
public final class Exchange implements AutoCloseable {

  /**
   * Request attribute holding the fencing token ({@code Long}) of a write's fenced permit, set
   * before the handler runs, so the handler can fence its own storage write (refuse a write whose
   * token is smaller than one the storage has seen). Absent for in-process permits.
   *
   * @since 0.1
   */
  public static final String FENCING_TOKEN_ATTRIBUTE = "dev.etagguard.fencingToken";

  /**
   * Request attribute set on every request a guard has taken (any host): its presence makes a
   * later guard (a filter behind a valve or a handler, a second filter) pass the request through.
   *
   * @since 0.3
   */
  public static final String GUARDED_ATTRIBUTE = "dev.etagguard.guarded";

  /**
   * The request fields (lower case) an internal GET does not carry: its conditions and range, the
   * write's content fields, and {@code Accept-Encoding} (the guard digests identity bytes).
   *
   * @since 0.3
   */
  public static final Set<String> INTERNAL_GET_HIDDEN_FIELDS = Set.of("if-match", "if-none-match",
      "if-modified-since", "if-unmodified-since", "if-range", "range", "content-length", "content-type",
      "transfer-encoding", "content-encoding", "expect", "accept-encoding");

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final Admission admission;
  private final boolean head;

  private Exchange(Admission admission, boolean head) {
    this.admission = admission;
    this.head = head;
  }

  /**
   * Admits a request: the exchange that guards it, or {@code null} when the guard passes it
   * through untouched (disabled, excluded, a method or path the guard leaves alone).
   *
   * @param engine the engine
   * @param request the request as the host sees it
   */
  public static @Nullable Exchange admit(GuardEngine engine, RequestView request) {
    Admission admission = engine.admit(request);
    return admission.kind() == Admission.Kind.PASS ? null : new Exchange(admission, "HEAD".equals(request.method()));
  }

  /** Whether this request may hold a permit: a host must then {@link #close()} it when the request is abandoned. */
  public boolean holdsPermit() {
    return admission.rejection() == null && admission.needsPermit();
  }

  /** The resource key the request names. */
  public dev.etagguard.spi.ResourceKey key() {
    return java.util.Objects.requireNonNull(admission.key());
  }

  /** Whether this is a write (an unsafe method); else a GET or HEAD. */
  public boolean write() {
    return admission.kind() == Admission.Kind.WRITE;
  }

  /**
   * A meter for the content this write reads from its client under its permit (option
   * {@code minContentRate}; it never fails when the option is {@code 0}): the host reads the
   * client's content through it, and answers {@link #slowContent()} when it tripped.
   *
   * @since 0.3
   */
  public ContentRate contentRate() {
    return ContentRate.of(admission.minContentRate());
  }

  /**
   * The answer (408, RFC 9457 problem {@code content-too-slow}, {@code Connection: close}) in place of
   * the handler's response, when the write's {@link #contentRate()} tripped before that response was sent.
   *
   * @since 0.3
   */
  public Answer slowContent() {
    return admission.slowContent();
  }

  /**
   * Runs the exchange against its host.
   *
   * @return a stage completed when the response is sent (or handed to the host's error
   *     handling), and the permit released; exceptionally with the handler's failure
   */
  public CompletableFuture<Void> run(Host host) {
    CompletableFuture<Void> done;
    try {
      Answer rejection = admission.rejection();
      if (rejection != null) {
        done = stage(host.answer(rejection));
      } else if (admission.kind() == Admission.Kind.READ) {
        done = admission.needsPermit() ? withPermit(host, () -> read(host)) : read(host);
      } else {
        done = write(host);
      }
    } catch (Throwable x) {
      done = CompletableFuture.failedFuture(x);
    }
    return done.whenComplete((v, x) -> admission.close());
  }

  /** Ends the exchange early (the request was abandoned): releases its permit, also one granted later. Idempotent. */
  @Override
  public void close() {
    admission.close();
  }

  // ---------------------------------------------------------------- reads

  private CompletableFuture<Void> read(Host host) {
    // Option authoritativePaths: 304 or 412 on the stored validators, unless access rules behind
    // the guard decide who may read.
    ReadDecision stored = admission.storeMayAnswer() && !host.securedBehind() ? admission.answerFromStore() : null;
    if (stored != null) {
      return stage(host.sendRead(stored, null));
    }
    BodyBuffer body = admission.bodyBuffer(!head, admission.digestBody());
    // The body outgrows the buffer: the decision on the handler's own validators.
    Function<ResponseView, ReadDecision> spill = response -> admission.completeRead(response, null, -1);
    return stage(host.read(admission.hiddenFields(), body, spill)).thenCompose(captured -> {
      CompletionStage<Void> sent;
      if (captured.answered()) {
        sent = DONE;
      } else if (!captured.held()) {
        sent = host.finishStreamed(captured);
      } else if (captured.untagged()) {
        sent = host.sendRead(ReadDecision.PASS, captured);
      } else {
        sent = host.sendRead(admission.completeRead(captured, captured.digest(), captured.length()), captured);
      }
      return failAfter(sent, captured);
    });
  }

  // ---------------------------------------------------------------- writes

  private CompletableFuture<Void> write(Host host) {
    // The content arrives before the permit is asked for: a client that sends slowly delays only
    // itself, never the other writers of its resource.
    return stage(host.receiveContent()).handle((received, failure) -> {
      if (failure != null) {
        Answer incomplete = admission.incompleteContent();
        admission.close();
        return stage(host.contentFailed(incomplete, unwrap(failure)));
      }
      return withPermit(host, () -> checked(host));
    }).thenCompose(Function.identity());
  }

  private CompletableFuture<Void> checked(Host host) {
    if (!admission.needsCurrentState()) {
      return decided(host);
    }
    return internalGet(host).thenCompose(current -> {
      admission.learnCurrentState(current, current.digest(), current.held() ? current.length() : -1);
      return decided(host);
    });
  }

  private CompletableFuture<Void> decided(Host host) {
    Answer refusal = admission.decide(host::content);
    if (refusal != null) {
      admission.close(); // not held while the content is dropped
      return stage(host.answer(refusal));
    }
    EntityTagGenerator.Digest digest = admission.digestsContent() ? admission.generator().start() : null;
    return stage(host.write(admission.bodyBuffer(true, false), digest, admission.fencingToken()))
        .thenCompose(captured -> failAfter(written(host, captured), captured));
  }

  private CompletionStage<Void> written(Host host, Captured captured) {
    if (captured.answered()) {
      admission.answeredByHost();
      return DONE; // the host answered (an error page, an async write): close() forgets the validators
    }
    EntityTag sent = captured.contentTag();
    boolean learn = admission.completeWrite(captured, sent, captured.contentLength());
    if (!learn || !captured.held()) {
      return host.sendWrite(captured, Map.of(), admission.commitFailure());
    }
    return internalGet(host).thenCompose(after -> {
      Map<String, String> fields = admission.learnAfterWrite(after, after.digest(),
          after.held() ? after.length() : -1, sent);
      return host.sendWrite(captured, fields, admission.commitFailure());
    });
  }

  // ---------------------------------------------------------------- steps

  private CompletableFuture<Captured> internalGet(Host host) {
    return stage(host.internalGet(admission.keyParameters(), admission.bodyBuffer(false, true)));
  }

  /** Runs {@code then} once the request's permit is granted; answers 503 when it is not. */
  private CompletableFuture<Void> withPermit(Host host, java.util.function.Supplier<CompletableFuture<Void>> then) {
    return stage(host.await(admission.acquire())).handle((granted, failure) -> {
      if (failure != null) {
        Answer unavailable = admission.unavailable(failure);
        admission.close();
        return stage(host.answer(unavailable));
      }
      return then.get();
    }).thenCompose(Function.identity());
  }

  /** The handler failed after it completed its response: that response went out, then the failure. */
  private static CompletionStage<Void> failAfter(CompletionStage<Void> sent, Captured captured) {
    Throwable failure = captured.failure();
    return failure == null ? sent : sent.thenCompose(v -> CompletableFuture.failedFuture(failure));
  }

  private static <T> CompletableFuture<T> stage(CompletionStage<T> stage) {
    return stage.toCompletableFuture();
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
  }

  @Override
  public String toString() {
    return "Exchange{" + admission + "}";
  }

  /**
   * What the flow needs of a server, for one request. Every step returns a stage: a blocking
   * host returns completed ones (it ran the step on the request's thread); a non-blocking one
   * completes them from its callbacks, on a thread that may run the rest of the flow (never a
   * selector thread: the flow may run a handler).
   *
   * @since 0.3
   */
  public interface Host {

    /**
     * Waits for a permit: a blocking host waits here (the future is bounded by
     * {@code permitTimeout}); a non-blocking one returns a stage that continues on its executor.
     */
    <T> CompletionStage<T> await(CompletableFuture<T> permit);

    /** Whether access rules behind the guard decide who may read (then the store never answers a read). */
    default boolean securedBehind() {
      return false;
    }

    /**
     * Receives a write's whole request content before its permit is asked for (bounded in memory,
     * spooled beyond), so the handler then reads it at once. Fails when it does not arrive whole.
     */
    CompletionStage<Void> receiveContent();

    /** Answers that the content did not arrive whole (no permit was taken): {@code incomplete}, or the host's own status. */
    CompletionStage<Void> contentFailed(Answer incomplete, Throwable failure);

    /** The request content, to read (again) for recognizing a retry; may fail. */
    java.io.InputStream content() throws java.io.IOException;

    /**
     * Sends one of the guard's own answers (428, 400, 412, 503, or a recognized retry's 2xx)
     * instead of running the handler, then drops the request content the handler never read
     * (bounded), or announces that the connection closes.
     */
    CompletionStage<Void> answer(Answer answer);

    /**
     * Runs the handler for a GET or HEAD (HEAD as GET, so the body is counted and digested) into
     * a capturing response. When the body outgrows {@code body}, the host asks {@code spill} for
     * the decision on the handler's own validators, applies it and streams or discards the rest.
     *
     * @param hiddenFields the request fields (lower case) the handler must not see
     * @param body holds and digests the body
     * @param spill the decision when the body no longer fits
     */
    CompletionStage<Captured> read(Set<String> hiddenFields, BodyBuffer body,
        Function<ResponseView, ReadDecision> spill);

    /**
     * Sends a read's response as decided: the held body (whole or a part), a 304, or the
     * decision's answer; {@code response} is {@code null} when the handler did not run.
     */
    CompletionStage<Void> sendRead(ReadDecision decision, @Nullable Captured response);

    /** Finishes a read whose body outgrew the buffer (decided at the spill, then streamed or discarded). */
    CompletionStage<Void> finishStreamed(Captured response);

    /**
     * Runs the handler for a write into a capturing response.
     *
     * @param body holds the response body
     * @param contentDigest digests the request content as the handler reads it, or {@code null}
     * @param fencingToken the write permit's fencing token, for the request attribute
     *     {@link #FENCING_TOKEN_ATTRIBUTE}
     */
    CompletionStage<Captured> write(BodyBuffer body, EntityTagGenerator.@Nullable Digest contentDigest,
        OptionalLong fencingToken);

    /**
     * Sends a write's response: the held one with {@code fields} added, or the one already
     * streamed; or, when {@code failure} is given and the held response is not committed, that
     * answer instead (a fenced commit refused after the handler ran).
     */
    CompletionStage<Void> sendWrite(Captured response, Map<String, String> fields, @Nullable Answer failure);

    /**
     * Runs a GET of the request's resource through the handler, detached from the client, as
     * this client, with the request's conditional fields removed.
     *
     * @param keyParameters the query parameters it keeps
     * @param body counts and digests the body
     */
    CompletionStage<Captured> internalGet(Set<String> keyParameters, BodyBuffer body);
  }

  /**
   * A handler's response as a host captured it: status and fields, and the body held (up to the
   * buffer) or streamed past it.
   *
   * @since 0.3
   */
  public interface Captured extends ResponseView {

    /** Whether the whole body is held (or, counting only, was seen whole). */
    boolean held();

    /** The body's length so far. */
    long length();

    /** The generated tag of the whole body, or {@code null} when not held or not digested. */
    @Nullable EntityTag digest();

    /** Whether the host (or its container's error handling) answered: the flow sends nothing. */
    default boolean answered() {
      return false;
    }

    /** Whether the handler asked for its response to go out untagged (streamed as it is). */
    default boolean untagged() {
      return false;
    }

    /** A write's request content, digested as the handler read it, or {@code null}. */
    default @Nullable EntityTag contentTag() {
      return null;
    }

    /** The bytes of request content the handler read to the end, {@code -1} when not to the end or unseen. */
    default long contentLength() {
      return -1;
    }

    /** A failure of the handler's after it completed this response: raised once the response is sent. */
    default @Nullable Throwable failure() {
      return null;
    }
  }
}
