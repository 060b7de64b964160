package dev.etagguard.reliability;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;

/**
 * A JAX-RS resource written as the JAX-RS documentation teaches: its own strong ETag (a version
 * number) and {@code Request.evaluatePreconditions} for GET, PUT and DELETE. It knows nothing of
 * ranges. One instance, registered with Jersey as a singleton; writes of one document are
 * serialized by the document's lock only, as a typical in-memory resource does.
 */
@Path("{path: .+}")
public final class JaxRsDocuments {

  /** A stored document: its version and bytes. */
  record Doc(long version, byte[] body) {
    EntityTag tag() {
      return new EntityTag("v" + version);
    }
  }

  final Map<String, Doc> docs = new ConcurrentHashMap<>();

  @GET
  @Produces("text/plain")
  public Response get(@PathParam("path") String path, @Context Request request) {
    Doc doc = docs.get(path);
    if (doc == null) {
      return Response.status(404).build();
    }
    Response.ResponseBuilder failed = request.evaluatePreconditions(doc.tag());
    return failed != null ? failed.build() : Response.ok(doc.body()).tag(doc.tag()).build();
  }

  @PUT
  public Response put(@PathParam("path") String path, byte[] body, @Context Request request) {
    synchronized (this) {
      Doc doc = docs.get(path);
      Response.ResponseBuilder failed = doc == null ? request.evaluatePreconditions()
          : request.evaluatePreconditions(doc.tag());
      if (failed != null) {
        return failed.build();
      }
      docs.put(path, new Doc(doc == null ? 1 : doc.version() + 1, body));
      return Response.status(doc == null ? 201 : 204).build();
    }
  }

  @DELETE
  public Response delete(@PathParam("path") String path, @Context Request request) {
    synchronized (this) {
      Doc doc = docs.get(path);
      if (doc == null) {
        return Response.status(404).build();
      }
      Response.ResponseBuilder failed = request.evaluatePreconditions(doc.tag());
      if (failed != null) {
        return failed.build();
      }
      docs.remove(path);
      return Response.noContent().build();
    }
  }
}
