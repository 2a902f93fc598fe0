/**
 * The run store: an embedded SQLite file under the experiment log that keeps every recorded run,
 * and every finished configuration of a named sweep, across kernels and notebooks.
 */
package dev.compresso.runs;
