/*
 * Times rwkv.cpp through its C API (rwkv.h) the way load-tests' SideBySide times Finchstream, for
 * load-tests/bin/rwkvcpp-side-by-side.sh. Our code; compiled by that script against a given rwkv.cpp
 * checkout (nothing of rwkv.cpp is part of this repository).
 *
 *   rwkvcpp_driver time MODEL THREADS DECODE_TOKENS PREFILL_TOKENS CHUNK PASSES
 *       decode: rwkv_eval with state in and out and logits, WARM_UP tokens untimed, then the median
 *       of DECODE_TOKENS individually timed tokens; prefill: rwkv_eval_sequence_in_chunks over
 *       PREFILL_TOKENS tokens from a zero state, chunks of CHUNK, logits of the last token, best of
 *       PASSES passes (after one untimed pass). Prints one JSON object.
 *   rwkvcpp_driver quantize IN OUT FORMAT      (rwkv_quantize_model_file, e.g. Q8_0)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rwkv.h"

#define WARM_UP 16

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

static int compare_doubles(const void * a, const void * b) {
    const double x = *(const double *) a;
    const double y = *(const double *) b;
    return (x > y) - (x < y);
}

/* xorshift: the same token stream in every run */
static uint32_t next_token(uint64_t * s, const size_t vocab) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t) (*s % vocab);
}

static int run_time(int argc, char ** argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s time MODEL THREADS DECODE_TOKENS PREFILL_TOKENS CHUNK PASSES\n", argv[0]);
        return 2;
    }
    const char * model = argv[2];
    const uint32_t threads = (uint32_t) atoi(argv[3]);
    const int decode_tokens = atoi(argv[4]);
    const size_t prefill_tokens = (size_t) atoi(argv[5]);
    const size_t chunk = (size_t) atoi(argv[6]);
    const int passes = atoi(argv[7]);
    if (threads < 1 || decode_tokens < 1 || prefill_tokens < 1 || chunk < 1 || passes < 1) {
        fprintf(stderr, "THREADS, DECODE_TOKENS, PREFILL_TOKENS, CHUNK and PASSES must be >= 1\n");
        return 2;
    }
    const double load_start = now_seconds();
    struct rwkv_context * ctx = rwkv_init_from_file(model, threads, 0);
    if (ctx == NULL) {
        fprintf(stderr, "rwkv_init_from_file failed for %s\n", model);
        return 1;
    }
    const double load_seconds = now_seconds() - load_start;
    const size_t vocab = rwkv_get_n_vocab(ctx);
    float * state = calloc(rwkv_get_state_len(ctx), sizeof(float));
    float * logits = calloc(rwkv_get_logits_len(ctx), sizeof(float));
    uint32_t * tokens = calloc(prefill_tokens, sizeof(uint32_t));
    double * times = calloc((size_t) decode_tokens, sizeof(double));
    if (state == NULL || logits == NULL || tokens == NULL || times == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < prefill_tokens; i++) {
        tokens[i] = next_token(&seed, vocab);
    }
    /* prefill: one untimed pass (builds and caches the graph), then the best of `passes` */
    double best = 1e300;
    for (int p = 0; p <= passes; p++) {
        const double t0 = now_seconds();
        if (!rwkv_eval_sequence_in_chunks(ctx, tokens, prefill_tokens, chunk, NULL, state, logits)) {
            fprintf(stderr, "rwkv_eval_sequence_in_chunks failed\n");
            return 1;
        }
        const double t = now_seconds() - t0;
        if (p > 0 && t < best) {
            best = t;
        }
    }
    /* decode from the prefilled state: warm-up, then each token timed */
    for (int i = 0; i < WARM_UP + decode_tokens; i++) {
        const uint32_t token = next_token(&seed, vocab);
        const double t0 = now_seconds();
        if (!rwkv_eval(ctx, token, state, state, logits)) {
            fprintf(stderr, "rwkv_eval failed\n");
            return 1;
        }
        if (i >= WARM_UP) {
            times[i - WARM_UP] = now_seconds() - t0;
        }
    }
    qsort(times, (size_t) decode_tokens, sizeof(double), compare_doubles);
    const double median = decode_tokens % 2 == 1
        ? times[decode_tokens / 2]
        : (times[decode_tokens / 2 - 1] + times[decode_tokens / 2]) / 2;
    printf("{\"engine\": \"rwkv.cpp\", \"model\": \"%s\", \"threads\": %u, \"load_s\": %.2f,"
           " \"decode_ms_per_token\": %.3f, \"prefill_tokens_per_second\": %.2f}\n",
           model, threads, load_seconds, median * 1e3, (double) prefill_tokens / best);
    rwkv_free(ctx);
    free(state);
    free(logits);
    free(tokens);
    free(times);
    return 0;
}

int main(int argc, char ** argv) {
    if (argc >= 2 && strcmp(argv[1], "time") == 0) {
        return run_time(argc, argv);
    }
    if (argc == 5 && strcmp(argv[1], "quantize") == 0) {
        return rwkv_quantize_model_file(argv[2], argv[3], argv[4]) ? 0 : 1;
    }
    fprintf(stderr, "usage: %s time ... | quantize IN OUT FORMAT\n", argv[0]);
    return 2;
}
