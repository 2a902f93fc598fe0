/**
 * Low-rank factorization: a Linear layer replaced by two thinner ones from the truncated singular
 * value decomposition of its weight, then fine-tuned.
 */
package dev.compresso.lowrank;
