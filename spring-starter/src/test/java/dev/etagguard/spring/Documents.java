package dev.etagguard.spring;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A controller for the tests: {@code /docs/{id}} knows nothing of ETags; {@code /tagged/{id}}
 * sets its own, {@code "v<version>"}, the Spring MVC way.
 */
@RestController
class Documents {

  final Map<String, byte[]> docs = new ConcurrentHashMap<>();
  final Map<String, byte[]> tagged = new ConcurrentHashMap<>();
  final Map<String, Integer> versions = new ConcurrentHashMap<>();

  @GetMapping("/docs/{id}")
  ResponseEntity<byte[]> get(@PathVariable String id) {
    byte[] body = docs.get(id);
    return body == null ? ResponseEntity.notFound().build()
        : ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM).body(body);
  }

  @PutMapping("/docs/{id}")
  ResponseEntity<Void> put(@PathVariable String id, @RequestBody(required = false) byte @Nullable [] body) {
    boolean created = docs.put(id, body == null ? new byte[0] : body) == null;
    return ResponseEntity.status(created ? 201 : 204).build();
  }

  @GetMapping("/tagged/{id}")
  ResponseEntity<byte[]> getTagged(@PathVariable String id) {
    byte[] body = tagged.get(id);
    return body == null ? ResponseEntity.notFound().build()
        : ResponseEntity.ok().eTag("\"v" + versions.get(id) + "\"").contentType(MediaType.APPLICATION_OCTET_STREAM)
            .body(body);
  }

  @PutMapping("/tagged/{id}")
  ResponseEntity<Void> putTagged(@PathVariable String id, @RequestBody(required = false) byte @Nullable [] body) {
    boolean created = tagged.put(id, body == null ? new byte[0] : body) == null;
    versions.merge(id, 1, Integer::sum);
    return ResponseEntity.status(created ? 201 : 204).build();
  }
}
