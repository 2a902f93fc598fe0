/**
 * The packed model file (Deep Compression's storage format): {@link dev.compresso.store.PackedFile}
 * writes and reads it, {@link dev.compresso.store.LayerBreakdown} says where the bytes went. Plain
 * arrays only, no engine; the format is specified in {@code FORMAT.md} in this folder.
 */
package dev.compresso.store;
