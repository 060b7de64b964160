package dev.etagguard.samples.springwiki;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A deliberately naive article store: it knows nothing about ETags, Last-Modified or conditional
 * requests, and has no locking beyond its {@link ConcurrentHashMap}. Bodies are kept byte for byte.
 * Two areas, each its own namespace: {@code /articles} (guarded in {@code application.yml}) and
 * {@code /drafts}.
 *
 * <ul>
 *   <li>{@code GET /{area}}: 200, JSON array of the ids, sorted.
 *   <li>{@code POST /{area}}: stores the body under a new numeric id; 201 + Location.
 *   <li>{@code GET /{area}/{id}}: 200 {@code application/json} with the stored bytes, or 404.
 *   <li>{@code PUT /{area}/{id}}: stores the body; 201 + Location if new, else 204.
 *   <li>{@code DELETE /{area}/{id}}: 204, or 404.
 * </ul>
 */
@RestController
@RequestMapping("/{area:articles|drafts}")
public class WikiController {

  private static final String ID = "{id:[A-Za-z0-9._~-]{1,200}}";

  /** Keys are {@code area + "/" + id}, e.g. {@code articles/42}. */
  private final ConcurrentHashMap<String, byte[]> store = new ConcurrentHashMap<>();
  private final AtomicLong lastId = new AtomicLong();

  @GetMapping
  ResponseEntity<String> list(@PathVariable String area) {
    String prefix = area + "/";
    // Ids are restricted to unreserved characters: nothing to escape in a JSON string.
    String ids = store.keySet().stream().filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
        .sorted().map(id -> "\"" + id + "\"").collect(Collectors.joining(",", "[", "]"));
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(ids);
  }

  @PostMapping
  ResponseEntity<Void> create(@PathVariable String area, @RequestBody(required = false) byte @Nullable [] body) {
    String key;
    do {
      key = area + "/" + lastId.incrementAndGet(); // skips numbers already taken by a PUT
    } while (store.putIfAbsent(key, orEmpty(body)) != null);
    return ResponseEntity.created(URI.create("/" + key)).build();
  }

  @GetMapping("/" + ID)
  ResponseEntity<byte[]> read(@PathVariable String area, @PathVariable String id) {
    byte[] body = store.get(area + "/" + id);
    return body == null ? notFound(id) : ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
  }

  @PutMapping("/" + ID)
  ResponseEntity<Void> write(@PathVariable String area, @PathVariable String id,
      @RequestBody(required = false) byte @Nullable [] body) {
    String key = area + "/" + id;
    return store.put(key, orEmpty(body)) == null
        ? ResponseEntity.created(URI.create("/" + key)).build()
        : ResponseEntity.noContent().build();
  }

  @DeleteMapping("/" + ID)
  ResponseEntity<byte[]> delete(@PathVariable String area, @PathVariable String id) {
    return store.remove(area + "/" + id) == null ? notFound(id) : ResponseEntity.noContent().build();
  }

  private static ResponseEntity<byte[]> notFound(String id) {
    return ResponseEntity.status(404).contentType(new MediaType("text", "plain", StandardCharsets.UTF_8))
        .body(("no such article: " + id + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] orEmpty(byte @Nullable [] body) {
    return body == null ? new byte[0] : body;
  }
}
