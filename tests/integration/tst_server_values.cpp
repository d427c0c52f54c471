// The server layer's value types without any network: disconnect reason strings, the JavaScript
// date form of the handshake, Message and Next semantics, AckReply guarantees.
#include <SocketIo/ackreply.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/handshake.h>
#include <SocketIo/message.h>
#include <SocketIo/server.h>

#include <QTest>

using namespace Qt::StringLiterals;
using SocketIo::DisconnectReason;

class tst_ServerValues : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void reasonStringsMatchSocketIo_data();
    void reasonStringsMatchSocketIo();
    void unknownReasonStringIsReported();
    void handshakeTimeIsJavaScriptDateString();
    void invalidMessageCannotAck();
    void nextRunsItsCallbackOnce();
    void broadcastWithAckOnUnusedServerFinishesLater();
};

void tst_ServerValues::reasonStringsMatchSocketIo_data()
{
    QTest::addColumn<DisconnectReason>("reason");
    QTest::addColumn<QString>("string");
    QTest::newRow("server namespace disconnect") << DisconnectReason::ServerNamespaceDisconnect << u"server namespace disconnect"_s;
    QTest::newRow("client namespace disconnect") << DisconnectReason::ClientNamespaceDisconnect << u"client namespace disconnect"_s;
    QTest::newRow("server shutting down") << DisconnectReason::ServerShuttingDown << u"server shutting down"_s;
    QTest::newRow("ping timeout") << DisconnectReason::PingTimeout << u"ping timeout"_s;
    QTest::newRow("transport close") << DisconnectReason::TransportClose << u"transport close"_s;
    QTest::newRow("transport error") << DisconnectReason::TransportError << u"transport error"_s;
    QTest::newRow("parse error") << DisconnectReason::ParseError << u"parse error"_s;
    QTest::newRow("forced close") << DisconnectReason::ForcedClose << u"forced close"_s;
    QTest::newRow("forced server close") << DisconnectReason::ForcedServerClose << u"forced server close"_s;
    QTest::newRow("io server disconnect") << DisconnectReason::IoServerDisconnect << u"io server disconnect"_s;
    QTest::newRow("io client disconnect") << DisconnectReason::IoClientDisconnect << u"io client disconnect"_s;
}

void tst_ServerValues::reasonStringsMatchSocketIo()
{
    QFETCH(DisconnectReason, reason);
    QFETCH(QString, string);
    QCOMPARE(SocketIo::reasonString(reason), string);
    bool ok = false;
    QCOMPARE(SocketIo::disconnectReasonFromString(string, &ok), reason);
    QVERIFY(ok);
}

void tst_ServerValues::unknownReasonStringIsReported()
{
    bool ok = true;
    QCOMPARE(SocketIo::disconnectReasonFromString(u"nonsense"_s, &ok), DisconnectReason::TransportError);
    QVERIFY(!ok);
}

void tst_ServerValues::handshakeTimeIsJavaScriptDateString()
{
    const QDateTime t(QDate(2026, 11, 26), QTime(11, 46, 28), Qt::UTC);
    QCOMPARE(SocketIo::Handshake::jsDateString(t), u"Thu Nov 26 2026 11:46:28 GMT+0000 (Coordinated Universal Time)"_s);
    const QDateTime early(QDate(2026, 1, 5), QTime(1, 2, 3), Qt::UTC);
    QCOMPARE(SocketIo::Handshake::jsDateString(early), u"Mon Jan 05 2026 01:02:03 GMT+0000 (Coordinated Universal Time)"_s);
}

void tst_ServerValues::invalidMessageCannotAck()
{
    const SocketIo::Message m;
    QVERIFY(!m.isValid());
    QVERIFY(!m.needsAck());
    QVERIFY(!m.ack({1}));
    QVERIFY(!m.socket());
}

void tst_ServerValues::nextRunsItsCallbackOnce()
{
    int calls = 0;
    QString message;
    SocketIo::Next next([&](bool ok, const SocketIo::MiddlewareError &error) {
        ++calls;
        QVERIFY(!ok);
        message = error.message;
    });
    const SocketIo::Next copy = next;
    copy(u"refused"_s);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"more than once"_s));
    next();
    QCOMPARE(calls, 1);
    QCOMPARE(message, u"refused"_s);
    QVERIFY(next.isCalled());
}

void tst_ServerValues::broadcastWithAckOnUnusedServerFinishesLater()
{
    SocketIo::Server io;
    SocketIo::AckReply *reply = io.timeout(std::chrono::milliseconds(500)).emitWithAck(u"q"_s);
    bool finished = false;
    connect(reply, &SocketIo::AckReply::finished, this, [&] {
        finished = true;
        QCOMPARE(reply->error(), SocketIo::AckReply::Error::NoError);
        QVERIFY(reply->responses().isEmpty());
    });
    QVERIFY(!finished);
    QTRY_VERIFY(finished);
}

QTEST_GUILESS_MAIN(tst_ServerValues)
#include "tst_server_values.moc"
