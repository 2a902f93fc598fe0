/**
 * Knowledge distillation (Hinton, Vinyals and Dean 2015): a student trained on a teacher's softened
 * outputs, with the teacher's logits computed once per training set and cached.
 */
package dev.compresso.distill;
