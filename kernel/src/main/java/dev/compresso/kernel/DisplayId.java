package dev.compresso.kernel;

/**
 * What {@link Display#display(Object)} returns: the id to pass to {@link Display#updateDisplay}.
 * Renderers show nothing for it, so {@code display(x)} as a cell's last line shows x only once.
 *
 * @param id the Jupyter display id
 */
public record DisplayId(String id) {
    @Override
    public String toString() {
        return id;
    }
}
