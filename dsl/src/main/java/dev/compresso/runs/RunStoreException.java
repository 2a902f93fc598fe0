package dev.compresso.runs;

/** The run store could not be opened, read or written; the message names the file and the fix. */
public final class RunStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    RunStoreException(String message) {
        super(message);
    }

    RunStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
