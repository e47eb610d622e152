/* native_bound.c: bench/native_bound.py's C loop (built by it with the system's compiler,
 * never part of the package). Module _native_bound, one function:
 *
 *   run(partials, finals, data, mtime_ns, batch_files) -> failed calls
 *
 * For each file, the destination's system calls of the engine for a small file, in its
 * order (destinations/local.py: LocalPartial, the committer's batch): the partial
 * created with O_EXCL; a read-only descriptor of it opened through /proc/self/fd and
 * claimed (a shared flock, then fstat); the data written; the written descriptor closed.
 * Every batch_files files, the committer's: the date set (futimens) on each, one syncfs,
 * then a file at a time the size checked (lseek to the end), the partial published without
 * replacing (renameat2 RENAME_NOREPLACE) and its descriptor closed. The interpreter lock is
 * released for the whole run. A call that fails is counted, never raised: this is a bound
 * on what the calls cost from C, not a copy; the caller checks the result is 0. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

static PyObject *run(PyObject *self, PyObject *args) {
    PyObject *partials, *finals;
    Py_buffer data;
    long long mtime_ns;
    int batch_files;
    if (!PyArg_ParseTuple(args, "O!O!y*Li", &PyList_Type, &partials, &PyList_Type, &finals,
                          &data, &mtime_ns, &batch_files))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(partials);
    if (PyList_GET_SIZE(finals) != n || batch_files < 1) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "partials and finals differ, or batch_files < 1");
        return NULL;
    }
    const char **p = PyMem_Calloc(n ? n : 1, sizeof(char *));
    const char **f = PyMem_Calloc(n ? n : 1, sizeof(char *));
    int *held = PyMem_Calloc(n ? n : 1, sizeof(int));
    if (!p || !f || !held) {
        PyMem_Free(p), PyMem_Free(f), PyMem_Free(held), PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        p[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(partials, i));
        f[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(finals, i));
        if (!p[i] || !f[i]) {
            PyMem_Free(p), PyMem_Free(f), PyMem_Free(held), PyBuffer_Release(&data);
            return NULL;
        }
    }
    long failed = 0;
    Py_BEGIN_ALLOW_THREADS
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = (time_t)(mtime_ns / 1000000000LL);
    times[0].tv_nsec = times[1].tv_nsec = (long)(mtime_ns % 1000000000LL);
    Py_ssize_t first = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char proc[64];
        struct stat info;
        held[i] = -1;
        int fd = open(p[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            failed++;
        } else {
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
            int h = open(proc, O_RDONLY | O_CLOEXEC);
            if (h < 0 || flock(h, LOCK_SH) || fstat(h, &info) || info.st_nlink == 0)
                failed++;
            if (write(fd, data.buf, (size_t)data.len) != data.len)
                failed++;
            if (close(fd))
                failed++;
            held[i] = h;
        }
        if ((i + 1) % batch_files == 0 || i + 1 == n) {
            int any = -1;
            for (Py_ssize_t j = first; j <= i; j++)
                if (held[j] >= 0) {
                    any = held[j];
                    if (futimens(held[j], times))
                        failed++;
                }
            if (any >= 0 && syncfs(any))
                failed++;
            for (Py_ssize_t j = first; j <= i; j++) {
                if (held[j] < 0)
                    continue;
                if (lseek(held[j], 0, SEEK_END) != data.len)
                    failed++;
                if (syscall(SYS_renameat2, AT_FDCWD, p[j], AT_FDCWD, f[j], RENAME_NOREPLACE))
                    failed++;
                close(held[j]);
            }
            first = i + 1;
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(p), PyMem_Free(f), PyMem_Free(held), PyBuffer_Release(&data);
    return PyLong_FromLong(failed);
}

static PyMethodDef methods[] = {
    {"run", run, METH_VARARGS, "The destination's calls for small files, in C (see the file)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native_bound", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native_bound(void) { return PyModule_Create(&module); }
