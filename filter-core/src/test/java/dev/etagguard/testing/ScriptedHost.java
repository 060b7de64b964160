package dev.etagguard.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import dev.etagguard.Answer;
import dev.etagguard.BodyBuffer;
import dev.etagguard.Exchange;
import dev.etagguard.ReadDecision;
import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;
import dev.etagguard.spi.ResponseView;

import org.jspecify.annotations.Nullable;

/**
 * An {@link Exchange.Host} without a server, for driving the engine's flow directly: the
 * "handler" is a function of the method (an internal GET asks it for {@code GET}) to a scripted
 * reply, and the host records what the flow sent. Every step completes at once, on the caller's
 * thread; a permit is waited for as a blocking host does.
 */
public final class ScriptedHost implements Exchange.Host {

  /** A handler's scripted response. */
  public record Reply(int status, Map<String, String> headers, byte[] body) {
    /** A reply with one optional {@code ETag} field and no body. */
    public static Reply of(int status, @Nullable String etag) {
      return new Reply(status, etag == null ? Map.of() : Map.of("ETag", etag), new byte[0]);
    }
  }

  private final String method;
  private final Function<String, Reply> handler;
  private int handlerRuns;
  private int internalGets;
  private int status;
  private final Map<String, String> fields = new LinkedHashMap<>();
  private ReadDecision.@Nullable Action action;
  private @Nullable Answer answer;

  /**
   * @param method the request's method
   * @param handler the reply for a method
   */
  public ScriptedHost(String method, Function<String, Reply> handler) {
    this.method = method;
    this.handler = handler;
  }

  /** Runs {@code exchange} against this host and waits for its end. */
  public ScriptedHost run(Exchange exchange) {
    exchange.run(this).join();
    return this;
  }

  /** The status sent. */
  public int status() {
    return status;
  }

  /** The fields the guard added, and those of its own answers. */
  public Map<String, String> fields() {
    return fields;
  }

  /** The read's decision, or {@code null} when none was sent. */
  public ReadDecision.@Nullable Action action() {
    return action;
  }

  /** The guard's own answer, or {@code null}. */
  public @Nullable Answer answer() {
    return answer;
  }

  /** How often the handler ran for the client's request. */
  public int handlerRuns() {
    return handlerRuns;
  }

  /** How many internal GETs the flow ran. */
  public int internalGets() {
    return internalGets;
  }

  @Override
  public <T> CompletionStage<T> await(CompletableFuture<T> permit) {
    try {
      permit.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      // the flow answers it
    }
    return permit;
  }

  @Override
  public CompletionStage<Void> receiveContent() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> contentFailed(Answer incomplete, Throwable failure) {
    return answer(incomplete);
  }

  @Override
  public InputStream content() {
    return new ByteArrayInputStream(new byte[0]);
  }

  @Override
  public CompletionStage<Void> answer(Answer answer) {
    this.answer = answer;
    this.status = answer.status();
    fields.putAll(answer.headers());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Exchange.Captured> read(Set<String> hiddenFields, BodyBuffer body,
      Function<ResponseView, ReadDecision> spill) {
    handlerRuns++;
    return CompletableFuture.completedFuture(captured(handler.apply(method), body));
  }

  @Override
  public CompletionStage<Void> sendRead(ReadDecision decision, Exchange.@Nullable Captured response) {
    action = decision.action();
    fields.putAll(decision.headers());
    status = switch (decision.action()) {
      case PARTIAL -> 206;
      case NOT_MODIFIED -> 304;
      case REJECT -> decision.answer().status();
      default -> response == null ? 200 : response.status();
    };
    if (decision.answer() != null) {
      answer = decision.answer();
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> finishStreamed(Exchange.Captured response) {
    status = response.status();
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Exchange.Captured> write(BodyBuffer body, EntityTagGenerator.@Nullable Digest contentDigest,
      OptionalLong fencingToken) {
    handlerRuns++;
    return CompletableFuture.completedFuture(captured(handler.apply(method), body));
  }

  @Override
  public CompletionStage<Void> sendWrite(Exchange.Captured response, Map<String, String> fields,
      @Nullable Answer failure) {
    if (failure != null) {
      return answer(failure);
    }
    status = response.status();
    this.fields.putAll(fields);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Exchange.Captured> internalGet(Set<String> keyParameters, BodyBuffer body) {
    internalGets++;
    return CompletableFuture.completedFuture(captured(handler.apply("GET"), body));
  }

  private static Exchange.Captured captured(Reply reply, BodyBuffer body) {
    boolean held = body.append(reply.body(), 0, reply.body().length);
    EntityTag digest = held ? body.finishDigest() : null;
    return new Exchange.Captured() {
      @Override
      public int status() {
        return reply.status();
      }

      @Override
      public @Nullable String header(String name) {
        for (Map.Entry<String, String> e : reply.headers().entrySet()) {
          if (e.getKey().equalsIgnoreCase(name)) {
            return e.getValue();
          }
        }
        return null;
      }

      @Override
      public boolean held() {
        return held;
      }

      @Override
      public long length() {
        return reply.body().length;
      }

      @Override
      public @Nullable EntityTag digest() {
        return digest;
      }
    };
  }
}
