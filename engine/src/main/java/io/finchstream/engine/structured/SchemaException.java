package io.finchstream.engine.structured;

import io.finchstream.engine.EngineException;

/**
 * A JSON schema the constrained decoder cannot follow: an unsupported keyword, a keyword with a bad
 * value, a rule of OpenAI's strict mode broken, or a limit exceeded. {@link #keyword()} names the
 * keyword and {@link #pointer()} where it is (a JSON pointer into the schema, {@code ""} for its
 * root), so the API can answer 400 naming them.
 */
public class SchemaException extends EngineException {

  private static final long serialVersionUID = 1L;

  private final String keyword;
  private final String pointer;

  /**
   * A refusal of {@code keyword} at {@code pointer}.
   *
   * @param pointer JSON pointer of the (sub)schema, {@code ""} for the root
   * @param keyword the offending keyword, e.g. {@code pattern}
   * @param problem what is wrong and, where possible, what is supported instead
   */
  public SchemaException(final String pointer, final String keyword, final String problem) {
    super(message(pointer, keyword, problem));
    this.keyword = keyword;
    this.pointer = pointer;
  }

  /** As {@link #SchemaException(String, String, String)}, with the exception that caused it. */
  public SchemaException(
      final String pointer, final String keyword, final String problem, final Throwable cause) {
    super(message(pointer, keyword, problem), cause);
    this.keyword = keyword;
    this.pointer = pointer;
  }

  private static String message(final String pointer, final String keyword, final String problem) {
    return "schema "
        + (pointer.isEmpty() ? "root" : "at " + pointer)
        + ": '"
        + keyword
        + "' "
        + problem;
  }

  /** The keyword, e.g. {@code pattern}. */
  public String keyword() {
    return keyword;
  }

  /** JSON pointer of the (sub)schema holding it, {@code ""} for the root. */
  public String pointer() {
    return pointer;
  }
}
