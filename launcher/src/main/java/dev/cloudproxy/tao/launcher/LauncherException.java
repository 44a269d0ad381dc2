package dev.cloudproxy.tao.launcher;

/** Why the launcher did not start the app: one line for the user, never a secret. */
class LauncherException extends Exception {
    private static final long serialVersionUID = 1L;

    LauncherException(String message) {
        super(message);
    }

    LauncherException(String message, Throwable cause) {
        super(message, cause);
    }
}
