package dev.etagguard.support;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

import dev.etagguard.http.EntityTag;
import dev.etagguard.spi.EntityTagGenerator;

/**
 * SHA-256 of the body, truncated to 192 bits, base64url without padding: a 32-character strong
 * tag. Truncation keeps collision resistance at 2^96 work, far beyond a client's reach.
 */
final class Sha256Generator implements EntityTagGenerator {

  static final Sha256Generator INSTANCE = new Sha256Generator();

  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

  /** Cloned per body: a clone skips the provider lookup of {@code getInstance} on every request. */
  private final MessageDigest prototype = newSha256();

  private Sha256Generator() {
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256 (java.security.MessageDigest javadoc).
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Digest start() {
    try {
      return new Sha256Digest((MessageDigest) prototype.clone());
    } catch (CloneNotSupportedException e) {
      return new Sha256Digest(newSha256());
    }
  }

  @Override
  public String toString() {
    return "SHA-256/192";
  }

  private static final class Sha256Digest implements Digest {
    private final MessageDigest md;

    Sha256Digest(MessageDigest md) {
      this.md = md;
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
      md.update(bytes, offset, length);
    }

    @Override
    public void update(ByteBuffer bytes) {
      md.update(bytes);
    }

    @Override
    public EntityTag finish() {
      byte[] hash = Arrays.copyOf(md.digest(), 24);
      return EntityTag.strong(BASE64.encodeToString(hash));
    }
  }
}
