#pragma once
// Helpers shared by the bench tests: start a bench server (ours or Node's) and run bench-load.

#include "nodeprocess.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace SocketIo::Test {

inline QString benchBinary(const QString &name)
{
    return QStringLiteral(SOCKETIO_BINARY_DIR "/bench/") + name;
}

/*!
  One bench server, ours (bench/bench-server) or Node's (bench/node/bench-server.js), or one of the
  floors ("qt-floor": bench/floor-server, "qt-raw-floor": bench/floor-server --raw-websocket,
  "ws-floor": bench/node/floor-server.js), on a port picked by the system; killed when destroyed.
*/
class BenchServer
{
public:
    BenchServer() = default;
    BenchServer(const BenchServer &) = delete;
    BenchServer &operator=(const BenchServer &) = delete;
    ~BenchServer()
    {
        if (m_ours) {
            m_ours->kill();
            m_ours->waitForFinished(5000);
        }
    }

    /*! Starts it; false with error() set when it does not report its port within 15 s. */
    bool start(const QString &kind, const QStringList &extraArguments = {})
    {
        const QStringList arguments = QStringList{QStringLiteral("--port"), QStringLiteral("0")} + extraArguments;
        if (kind == QLatin1String("node") || kind == QLatin1String("ws-floor")) {
            const QString script = kind == QLatin1String("node") ? QStringLiteral("bench-server.js")
                                                                 : QStringLiteral("floor-server.js");
            m_node = std::make_unique<NodeProcess>();
            // NodeProcess resolves scripts in tests/interop/js; the bench servers live in bench/node
            if (!m_node->start(QStringLiteral("../../../bench/node/") + script, arguments)) {
                m_error = QStringLiteral("node %1 did not start").arg(script);
                return false;
            }
            const QJsonObject line = m_node->waitForEvent(QStringLiteral("listening"), 15000);
            m_port = line.value(QStringLiteral("port")).toInt();
            m_pid = m_node->processId();
            if (!m_port)
                m_error = m_node->diagnostics();
            return m_port != 0;
        }
        m_ours = std::make_unique<QProcess>();
        m_ours->setProcessChannelMode(QProcess::SeparateChannels);
        const bool qtFloor = kind == QLatin1String("qt-floor") || kind == QLatin1String("qt-raw-floor");
        const QString binary = qtFloor ? QStringLiteral("floor-server") : QStringLiteral("bench-server");
        m_ours->start(benchBinary(binary), kind == QLatin1String("qt-raw-floor")
                                                   ? arguments + QStringList{QStringLiteral("--raw-websocket")}
                                                   : arguments);
        if (!m_ours->waitForStarted(10000)) {
            m_error = m_ours->errorString();
            return false;
        }
        QByteArray out;
        const QDeadlineTimer deadline(15000);
        while (!out.contains('\n') && !deadline.hasExpired() && m_ours->state() == QProcess::Running) {
            m_ours->waitForReadyRead(int(deadline.remainingTime()));
            out += m_ours->readAllStandardOutput();
        }
        const QJsonObject line = QJsonDocument::fromJson(out.left(out.indexOf('\n'))).object();
        m_listening = line;
        m_port = line.value(QStringLiteral("port")).toInt();
        m_pid = m_ours->processId();
        if (!m_port)
            m_error = binary + QStringLiteral(" did not report its port: ") + QString::fromUtf8(out)
                      + QString::fromUtf8(m_ours->readAllStandardError());
        return m_port != 0;
    }

    int port() const { return m_port; }
    /*! Our servers: the line they printed once listening (port, dispatcher, workers). */
    QJsonObject listening() const { return m_listening; }
    qint64 pid() const { return m_pid; }
    QString error() const { return m_error; }
    bool isRunning() const
    {
        return m_ours ? m_ours->state() == QProcess::Running : (m_node && m_node->isRunning());
    }

private:
    std::unique_ptr<QProcess> m_ours;
    std::unique_ptr<NodeProcess> m_node;
    int m_port = 0;
    qint64 m_pid = 0;
    QString m_error;
    QJsonObject m_listening;
};

/*! What a bench-load run printed and how it ended. */
struct LoadRun
{
    int exitCode = -1;
    bool finished = false;
    QByteArray out;
    QByteArray err;
    /*! The JSON lines of stdout. */
    QList<QJsonObject> jsonLines() const
    {
        QList<QJsonObject> lines;
        for (const QByteArray &line : out.split('\n')) {
            if (line.startsWith('{'))
                lines.append(QJsonDocument::fromJson(line).object());
        }
        return lines;
    }
    QString diagnostics() const
    {
        return QStringLiteral("exit %1, stdout:\n%2\nstderr:\n%3")
                .arg(exitCode)
                .arg(QString::fromUtf8(out), QString::fromUtf8(err));
    }
};

/*! Runs bench-load with \a arguments, bounded by \a timeoutMs. */
inline LoadRun runLoad(const QStringList &arguments, int timeoutMs = 120000)
{
    QProcess p;
    p.start(benchBinary(QStringLiteral("bench-load")), arguments);
    LoadRun run;
    run.finished = p.waitForStarted(10000) && p.waitForFinished(timeoutMs);
    if (!run.finished)
        p.kill();
    p.waitForFinished(5000);
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    run.out = p.readAllStandardOutput();
    run.err = p.readAllStandardError();
    return run;
}

} // namespace SocketIo::Test
