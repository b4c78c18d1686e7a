/* text_metrics.h - text comparison measures of the checks: case folding,
 * case-insensitive search, word counts, Levenshtein distance, ROUGE-N and
 * BLEU. Pure functions on byte strings (UTF-8 expected; a byte that does
 * not start a valid UTF-8 sequence counts as one character of its own).
 *
 * Tokens (ROUGE-N, BLEU): maximal runs of characters that are neither
 * white space (ASCII space, tab, line breaks, form feed, vertical tab) nor
 * ASCII punctuation, case-folded (tm_fold): "Hello, World!" gives "hello"
 * "world".
 *
 * ROUGE-N (recall of n-grams with clipped counts):
 *   R_n = sum_g min(cnt_cand(g), cnt_ref(g)) / sum_g cnt_ref(g)
 *   over the n-grams g of the reference. A reference with no n-gram gives
 *   1 when the candidate has none either, else 0.
 *
 * BLEU (Papineni et al. 2002, one reference, up to 4-grams, uniform
 * weights):
 *   p_k = sum_g min(cnt_cand(g), cnt_ref(g)) / sum_g cnt_cand(g), k = 1..4
 *   BLEU = BP * exp((log p_1 + log p_2 + log p_3 + log p_4) / 4)
 *   BP = 1 when c > r, else exp(1 - r / c); c, r: the candidate's and the
 *   reference's numbers of tokens.
 *   Zero counts: p_1 is not smoothed (no shared token gives 0); for k >= 2
 *   "add one" smoothing (Lin and Och 2004): p_k = (m_k + 1) / (t_k + 1), so
 *   a short candidate without any 4-gram is not zero by that alone. An
 *   empty candidate gives 0 (1 when the reference is empty too).
 */
#ifndef PM_TEXT_METRICS_H
#define PM_TEXT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Decode the character at s (n > 0 bytes left) into *cp; returns its
 * length in bytes (1..4). A byte that does not start a valid sequence is
 * one character: 0x110000 + the byte. */
size_t tm_next(const char *s, size_t n, uint32_t *cp);
/* The simple lower-case of cp for ASCII, Latin-1, Latin Extended-A, Greek
 * and Cyrillic (others unchanged). */
uint32_t tm_fold(uint32_t cp);
/* Append the case-folded text of the n bytes at s to out (invalid bytes
 * copied as they are). */
void tm_fold_text(const char *s, size_t n, struct buf *out);
/* Whether needle (nl bytes) occurs in hay (hl bytes) ignoring case
 * (tm_fold). An empty needle occurs. Returns 1 or 0. */
int tm_icontains(const char *hay, size_t hl, const char *needle, size_t nl);
/* Whether needle occurs in hay, byte for byte (memmem). */
int tm_contains(const char *hay, size_t hl, const char *needle, size_t nl);
/* Whether c is ASCII white space (space, tab, line breaks, form feed,
 * vertical tab). */
int tm_is_space(int c);
/* Narrow [*s, *s + *n) to leave out leading and trailing white space. */
void tm_trim(const char **s, size_t *n);
/* The number of words: maximal runs of bytes that are not ASCII white
 * space. */
size_t tm_word_count(const char *s, size_t n);

/* The Levenshtein distance (insertions, deletions, substitutions of one
 * character each) between a and b, counted in characters, computed up to
 * bound: returns the distance when it is <= bound, else bound + 1. Returns
 * -1 when it would take more than TM_LEV_CELLS_MAX cells (lengths times
 * the band 2 * bound + 1): too long to compare. */
#define TM_LEV_CELLS_MAX	((int64_t)200 * 1000 * 1000)
int64_t tm_levenshtein(const char *a, size_t al, const char *b, size_t bl,
    int64_t bound);

/* ROUGE-N recall of cand against ref, n in 1..4 (formula above). */
double tm_rouge_n(const char *cand, size_t cl, const char *ref, size_t rl,
    int n);
/* BLEU of cand against ref (formula above). */
double tm_bleu(const char *cand, size_t cl, const char *ref, size_t rl);

#endif
