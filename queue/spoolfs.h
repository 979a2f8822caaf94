/*
 * spoolfs.h: small filesystem helpers of the queue, all relative to a
 * directory descriptor (the queue role is chrooted to the spool, or runs
 * unchrooted with the spool's descriptor: never an absolute path). Used by
 * commit.c, walk.c and quarantine.c, from worker threads: every function
 * is reentrant, keeps no state and never logs.
 */
#ifndef QUEUE_SPOOLFS_H
#define QUEUE_SPOOLFS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Longest relative path we build: "incoming/<8>/<16>" and the like. */
#define SPOOLFS_PATH_MAX	512
/* Nesting we descend into when removing a tree (ours is 2 deep). */
#define SPOOLFS_DEPTH_MAX	16
/* Name tries when a destination exists: name, name.1 ... */
#define SPOOLFS_UNIQUE_TRIES	100

int	spoolfs_path(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	spoolfs_fsync_dir(int, const char *);
int	spoolfs_rename_noreplace(int, const char *, int, const char *);
int	spoolfs_move_unique(int, const char *, int, const char *,
	    char *, size_t);
int	spoolfs_rmtree(int, const char *, const atomic_int *);
int	spoolfs_empty(int, const char *, const atomic_int *, size_t *);
/* An entry name of directory dfd: 0 when handled, -1 with errno. */
typedef int (*spoolfs_entry_fn)(int dfd, const char *name, void *arg);
int	spoolfs_each(int, const char *, const atomic_int *, spoolfs_entry_fn,
	    void *, size_t *);
int	spoolfs_read(int, const char *, uint8_t *, size_t, size_t *);
const char *spoolfs_logname(const char *, char *, size_t);

#endif
