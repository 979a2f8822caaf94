/*
 * lmtp_direct.h: LMTP transactions delivered without a commit
 * (lmtp_direct.c).
 */
#ifndef QUEUE_LMTP_DIRECT_H
#define QUEUE_LMTP_DIRECT_H

#include <stdint.h>

struct envelope;
struct queue;
struct txn;

int	lmtp_direct(struct queue *, struct txn *, uint32_t);
void	lmtp_direct_late(struct queue *, const struct envelope *);

#endif
