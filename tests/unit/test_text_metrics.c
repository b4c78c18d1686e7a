/* test_text_metrics.c - case folding, word counts, Levenshtein distance,
 * ROUGE-N and BLEU against values computed by hand (formulas in
 * app/text_metrics.h and docs/GOLDEN.md). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "text_metrics.h"

#define S(x) x, strlen(x)
#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_fold(void **state)
{
	struct buf b = { 0 };

	(void)state;
	assert_int_equal(tm_fold('A'), 'a');
	assert_int_equal(tm_fold(0xc9), 0xe9);		/* É é */
	assert_int_equal(tm_fold(0xd7), 0xd7);		/* × */
	assert_int_equal(tm_fold(0x141), 0x142);	/* Ł ł */
	assert_int_equal(tm_fold(0x178), 0xff);		/* Ÿ ÿ */
	assert_int_equal(tm_fold(0x3a3), 0x3c3);	/* Σ σ */
	assert_int_equal(tm_fold(0x3c2), 0x3c3);	/* ς σ */
	assert_int_equal(tm_fold(0x401), 0x451);	/* Ё ё */
	assert_int_equal(tm_fold(0x416), 0x436);	/* Ж ж */
	assert_int_equal(tm_fold(0x4e2d), 0x4e2d);	/* 中 */
	tm_fold_text(S("ÀÉÎ Straße \xff"), &b);
	assert_string_equal(b.data, "àéî straße \xff");
	buf_free(&b);
	assert_true(tm_icontains(S("ÉCOLE"), S("école")));
	assert_true(tm_icontains(S("x"), S("")));
	assert_false(tm_icontains(S(""), S("x")));
	assert_true(tm_contains(S("abc"), S("")));
}

static void test_words(void **state)
{
	(void)state;
	assert_int_equal(tm_word_count(S("")), 0);
	assert_int_equal(tm_word_count(S("   ")), 0);
	assert_int_equal(tm_word_count(S("one")), 1);
	assert_int_equal(tm_word_count(S(" a\tb\nc\r\nd ")), 4);
	assert_int_equal(tm_word_count(S("well-known, fine.")), 2);
}

static void test_levenshtein(void **state)
{
	(void)state;
	assert_int_equal(tm_levenshtein(S("kitten"), S("sitting"), 100), 3);
	assert_int_equal(tm_levenshtein(S("kitten"), S("sitting"), 3), 3);
	assert_int_equal(tm_levenshtein(S("kitten"), S("sitting"), 2), 3);
	assert_int_equal(tm_levenshtein(S("flaw"), S("lawn"), 10), 2);
	assert_int_equal(tm_levenshtein(S(""), S(""), 0), 0);
	assert_int_equal(tm_levenshtein(S(""), S("abc"), 5), 3);
	assert_int_equal(tm_levenshtein(S("abc"), S(""), 1), 2);
	assert_int_equal(tm_levenshtein(S("abc"), S("abc"), 0), 0);
	assert_int_equal(tm_levenshtein(S("abc"), S("abd"), 0), 1);
	/* The largest bound a check can hold: no overflow, the distance. */
	assert_int_equal(tm_levenshtein(S("kitten"), S("sitting"), INT64_MAX), 3);
	assert_int_equal(tm_levenshtein(S(""), S(""), INT64_MAX), 0);
	/* Characters, not bytes: é is two bytes, one character. */
	assert_int_equal(tm_levenshtein(S("café"), S("cafe"), 10), 1);
	assert_int_equal(tm_levenshtein(S("日本語"), S("日本"), 10), 1);
	assert_int_equal(tm_levenshtein(S("ñandú"), S("nandu"), 10), 2);
	/* An invalid byte is one character of its own. */
	assert_int_equal(tm_levenshtein(S("a\xff"), S("a\xfe"), 10), 1);
	/* Bounded: a length difference beyond the bound is decided at once. */
	assert_int_equal(tm_levenshtein(S("a"), S("abcdefgh"), 3), 4);
	assert_int_equal(tm_levenshtein(S("abcdefgh"), S("hgfedcba"), 100), 8);
}

static void test_levenshtein_too_long(void **state)
{
	static char a[30001], b[30001];

	(void)state;
	memset(a, 'a', sizeof(a) - 1);
	memset(b, 'b', sizeof(b) - 1);
	/* 30001 x 30001 cells are over the limit; a bound of 10 is not. */
	assert_int_equal(tm_levenshtein(a, 30000, b, 30000, 30000), -1);
	assert_int_equal(tm_levenshtein(a, 30000, b, 30000, 10), 11);
	assert_int_equal(tm_levenshtein(a, 30000, a, 30000, 10), 0);
}

static void test_rouge(void **state)
{
	const char *ref = "The cat is on the mat.";
	const char *cand = "the cat sat on the mat";

	(void)state;
	/* Reference unigrams: the x2, cat, is, on, mat (6); the candidate
	 * shares the x2, cat, on, mat: 5/6. */
	NEAR(tm_rouge_n(S(cand), S(ref), 1), 5.0 / 6.0);
	/* Reference bigrams: the cat, cat is, is on, on the, the mat (5);
	 * shared: the cat, on the, the mat: 3/5. */
	NEAR(tm_rouge_n(S(cand), S(ref), 2), 3.0 / 5.0);
	/* Trigrams: on the mat of 4. */
	NEAR(tm_rouge_n(S(cand), S(ref), 3), 1.0 / 4.0);
	NEAR(tm_rouge_n(S(cand), S(ref), 4), 0.0);
	/* Clipped: four "the" count once against one. */
	NEAR(tm_rouge_n(S("the the the the"), S("the cat"), 1), 0.5);
	/* Case and punctuation do not matter. */
	NEAR(tm_rouge_n(S("HELLO, world!"), S("hello world"), 2), 1.0);
	NEAR(tm_rouge_n(S("Ünïcode ÄÖ"), S("ünïcode äö"), 1), 1.0);
	/* Empty texts. */
	NEAR(tm_rouge_n(S(""), S(""), 1), 1.0);
	NEAR(tm_rouge_n(S("a"), S(""), 1), 0.0);
	NEAR(tm_rouge_n(S(""), S("a"), 1), 0.0);
	/* A reference shorter than n has no n-gram. */
	NEAR(tm_rouge_n(S("a"), S("a"), 2), 1.0);
}

static void test_bleu(void **state)
{
	const char *ref = "the cat is on the mat";
	const char *cand = "the cat sat on the mat";

	(void)state;
	/* p1 = 5/6, p2 = (3+1)/(5+1), p3 = (1+1)/(4+1), p4 = (0+1)/(3+1),
	 * BP = 1 (equal lengths): (5/6 * 4/6 * 2/5 * 1/4)^(1/4) = 18^(-1/4). */
	NEAR(tm_bleu(S(cand), S(ref)), pow(18.0, -0.25));
	NEAR(tm_bleu(S(ref), S(ref)), 1.0);
	/* Brevity: c = 2, r = 6, every p_k 1: exp(1 - 6/2) = exp(-2). */
	NEAR(tm_bleu(S("the cat"), S("the cat sat on the mat")), exp(-2.0));
	/* Longer than the reference: no penalty. p1 = 2/3, p2 = (1+1)/(2+1),
	 * p3 = (0+1)/(1+1), p4 = 1/1: (2/3 * 2/3 * 1/2)^(1/4). */
	NEAR(tm_bleu(S("the cat x"), S("the cat")), pow(2.0 / 9.0, 0.25));
	/* No shared word: 0 (p1 is not smoothed). */
	NEAR(tm_bleu(S("x y z"), S("a b c")), 0.0);
	NEAR(tm_bleu(S(""), S("a")), 0.0);
	NEAR(tm_bleu(S(""), S("")), 1.0);
	/* Clipped unigram: "the the the" against "the cat": p1 = 1/3,
	 * p2 = (0+1)/(2+1), p3 = (0+1)/(1+1), p4 = 1, BP = 1 (3 > 2). */
	NEAR(tm_bleu(S("the the the"), S("the cat")),
	    pow(1.0 / 3.0 * 1.0 / 3.0 * 0.5, 0.25));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_levenshtein),
		cmocka_unit_test(test_levenshtein_too_long),
		cmocka_unit_test(test_rouge),
		cmocka_unit_test(test_bleu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
