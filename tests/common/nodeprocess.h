#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <functional>

namespace SocketIo::Test {

/*!
  Returns whether interop tests can run: `node` is on PATH and the pinned npm packages
  (socket.io, socket.io-client) are installed in the repository's node_modules. When not, it says
  why with qWarning; use SOCKETIO_REQUIRE_NODE() so the test fails with that reason rather than
  being skipped.
*/
bool nodeAvailable();
/*! Why nodeAvailable() is false (empty when it is true). */
QString nodeUnavailableReason();

/*! Fails the current test function when Node.js or the npm packages are missing. */
#define SOCKETIO_REQUIRE_NODE()                                                                    \
    do {                                                                                           \
        if (!SocketIo::Test::nodeAvailable())                                                      \
            QFAIL(qPrintable(SocketIo::Test::nodeUnavailableReason()));                            \
    } while (false)

/*!
  A Node.js script from tests/interop/js/ run as a peer: its stdout is read as JSON lines (one
  object per line, each with an "event" key), its stdin takes JSON-line commands.

  node is resolved from PATH; the working directory is the repository root and NODE_PATH its
  node_modules, so require("socket.io-client") finds the pinned packages. The process is killed
  (by process id) when this object is destroyed, and exits by itself when its stdin closes.

  Waiting runs the event loop (nothing sleeps) and is bounded by a timeout; it returns as soon as
  a matching line arrives, or early when the process has exited.
*/
class NodeProcess : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(NodeProcess)
public:
    using Predicate = std::function<bool(const QJsonObject &)>;

    explicit NodeProcess(QObject *parent = nullptr);
    ~NodeProcess() override;

    /*! Absolute path of tests/interop/js/<script>. */
    static QString scriptPath(const QString &script);

    /*! Starts `node tests/interop/js/<script> <arguments>`; false (with a qWarning) if it did not start. */
    bool start(const QString &script, const QStringList &arguments = {});
    /*! Whether the process is running. */
    bool isRunning() const;
    /*! The process id, 0 when not running. */
    qint64 processId() const;

    /*! Writes one command line (compact JSON plus newline) to the script's stdin. */
    void send(const QJsonObject &command);
    /*! Closes the script's stdin: the drivers then exit cleanly. */
    void closeStdin();

    /*!
      Waits up to timeoutMs for a line, not yet taken, for which predicate is true; takes it out of
      the queue and returns it. Returns an empty object on timeout or when the process exited
      first. Lines that did not match stay queued for later waits, in arrival order.
    */
    QJsonObject waitForLine(const Predicate &predicate, int timeoutMs = 10000);
    /*! waitForLine() for the first line whose "event" is event. */
    QJsonObject waitForEvent(const QString &event, int timeoutMs = 10000);
    /*! waitForLine() for {"event":"event","name":name} (an event the peer received). */
    QJsonObject waitForReceived(const QString &name, int timeoutMs = 10000);

    /*! Every line received so far, taken or not. */
    QList<QJsonObject> lines() const { return m_all; }
    /*! Lines received and not taken by a wait yet. */
    QList<QJsonObject> pendingLines() const { return m_pending; }
    /*! Everything the script wrote to stderr. */
    QByteArray standardError() const { return m_stderr; }
    /*! A summary for failure messages: the script, exit state, stderr tail and the last lines. */
    QString diagnostics() const;

    /*! Waits up to timeoutMs for the process to exit by itself; true if it did. */
    bool waitForExit(int timeoutMs = 5000);
    /*! Exit code once finished; -1 while running or after a crash. */
    int exitCode() const;
    /*! Kills the process (SIGKILL to its pid) and reaps it. Safe to call twice. */
    void kill();

    /*! {"_bin":"<hex>"}, how the drivers encode binary values. */
    static QJsonObject binary(const QByteArray &bytes);
    /*! The bytes of a {"_bin":"<hex>"} value; isBinary() tells whether value is one. */
    static QByteArray fromBinary(const QJsonValue &value);
    static bool isBinary(const QJsonValue &value);

Q_SIGNALS:
    /*! A JSON line arrived (also queued for waitForLine()). */
    void lineReceived(const QJsonObject &line);
    /*! The process exited or crashed. */
    void finished();

private:
    void readStdout();
    void readStderr();

    QProcess m_process;
    QString m_script;
    QByteArray m_stdoutBuffer;
    QByteArray m_stderr;
    QList<QJsonObject> m_all;
    QList<QJsonObject> m_pending;
    bool m_finished = false;
};

} // namespace SocketIo::Test
