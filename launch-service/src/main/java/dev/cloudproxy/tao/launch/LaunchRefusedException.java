package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.TaoException;

/** The launch service refused a launch: nothing was started, or what ran gets no record; the message says why. */
public final class LaunchRefusedException extends TaoException {
    private static final long serialVersionUID = 1L;

    public LaunchRefusedException(String message) {
        super(message);
    }
}
