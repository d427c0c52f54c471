// The server layer's value types without any network: disconnect reason strings, the JavaScript
// date form of the handshake, Message and Next semantics, AckReply guarantees.
#include <SocketIo/ackreply.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/engineoptions.h>
#include <SocketIo/handshake.h>
#include <SocketIo/message.h>
#include <SocketIo/server.h>

#include <QScopeGuard>
#include <QTest>

#include <time.h>

using namespace Qt::StringLiterals;
using SocketIo::DisconnectReason;

class tst_ServerValues : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void reasonStringsMatchSocketIo_data();
    void reasonStringsMatchSocketIo();
    void unknownReasonStringIsReported();
    void handshakeTimeIsJavaScriptDateString_data();
    void handshakeTimeIsJavaScriptDateString();
    void handshakeRepeatedHeadersAsNodeGivesThem();
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

void tst_ServerValues::handshakeTimeIsJavaScriptDateString_data()
{
    QTest::addColumn<QByteArray>("tz");
    QTest::addColumn<QDateTime>("utc");
    QTest::addColumn<QString>("expected");   // what Node 20 prints for new Date(utc) + "" under TZ
    const QDateTime winter(QDate(2026, 11, 26), QTime(11, 46, 28), Qt::UTC);
    const QDateTime summer(QDate(2026, 7, 1), QTime(10, 0, 0), Qt::UTC);
    const QDateTime early(QDate(2026, 1, 5), QTime(1, 2, 3), Qt::UTC);
    QTest::newRow("UTC") << QByteArray("UTC") << winter
                         << u"Thu Nov 26 2026 11:46:28 GMT+0000 (Coordinated Universal Time)"_s;
    QTest::newRow("Etc/UTC (Debian's default)") << QByteArray("Etc/UTC") << winter
                                                << u"Thu Nov 26 2026 11:46:28 GMT+0000 (Coordinated Universal Time)"_s;
    QTest::newRow("UTC, padded day") << QByteArray("UTC") << early
                                     << u"Mon Jan 05 2026 01:02:03 GMT+0000 (Coordinated Universal Time)"_s;
    QTest::newRow("Berlin, winter") << QByteArray("Europe/Berlin") << winter
                                    << u"Thu Nov 26 2026 12:46:28 GMT+0100 (Central European Standard Time)"_s;
    QTest::newRow("Berlin, summer") << QByteArray("Europe/Berlin") << summer
                                    << u"Wed Jul 01 2026 12:00:00 GMT+0200 (Central European Summer Time)"_s;
    QTest::newRow("New York, previous day") << QByteArray("America/New_York") << early
                                            << u"Sun Jan 04 2026 20:02:03 GMT-0500 (Eastern Standard Time)"_s;
    QTest::newRow("Kolkata, half hour") << QByteArray("Asia/Kolkata") << winter
                                        << u"Thu Nov 26 2026 17:16:28 GMT+0530 (India Standard Time)"_s;
}

void tst_ServerValues::handshakeTimeIsJavaScriptDateString()
{
    QFETCH(QByteArray, tz);
    QFETCH(QDateTime, utc);
    QFETCH(QString, expected);
    // socket.io's handshake.time is `new Date() + ""`: local time in the server's zone
    const QByteArray before = qgetenv("TZ");
    const bool hadTz = qEnvironmentVariableIsSet("TZ");
    qputenv("TZ", tz);
    tzset();
    const auto restore = qScopeGuard([&] {
        if (hadTz)
            qputenv("TZ", before);
        else
            qunsetenv("TZ");
        tzset();
    });
    QCOMPARE(SocketIo::Handshake::jsDateString(utc), expected);
}

void tst_ServerValues::handshakeRepeatedHeadersAsNodeGivesThem()
{
    // Node's http module (message.headers), which socket.io hands on as handshake.headers
    SocketIo::EngineRequest request;
    request.headers = {{"host", "a.example"}, {"accept", "text/html"}, {"cookie", "a=1"},
                       {"authorization", "Bearer first"}, {"x-forwarded-for", "10.0.0.1"},
                       {"host", "b.example"}, {"accept", "*/*"}, {"cookie", "b=2"},
                       {"authorization", "Bearer second"}, {"x-forwarded-for", "10.0.0.2"},
                       {"user-agent", "one"}, {"user-agent", "two"}, {"set-cookie", "s=1"},
                       {"set-cookie", "t=2"}, {"content-type", "text/plain"},
                       {"content-type", "application/json"}, {"referer", "r1"}, {"referer", "r2"}};
    const QCborMap headers = SocketIo::Handshake::fromRequest(request, {}).headers;
    QCOMPARE(headers.value(u"host"_s).toString(), u"a.example"_s);   // the first kept
    QCOMPARE(headers.value(u"authorization"_s).toString(), u"Bearer first"_s);
    QCOMPARE(headers.value(u"user-agent"_s).toString(), u"one"_s);
    QCOMPARE(headers.value(u"content-type"_s).toString(), u"text/plain"_s);
    QCOMPARE(headers.value(u"referer"_s).toString(), u"r1"_s);
    QCOMPARE(headers.value(u"accept"_s).toString(), u"text/html, */*"_s);   // joined
    QCOMPARE(headers.value(u"x-forwarded-for"_s).toString(), u"10.0.0.1, 10.0.0.2"_s);
    QCOMPARE(headers.value(u"cookie"_s).toString(), u"a=1; b=2"_s);
    QCOMPARE(headers.value(u"set-cookie"_s), QCborValue(QCborArray{u"s=1"_s, u"t=2"_s}));
    QStringList names;   // in the order first received
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        names.append(it.key().toString());
    QCOMPARE(names, (QStringList{u"host"_s, u"accept"_s, u"cookie"_s, u"authorization"_s,
                                 u"x-forwarded-for"_s, u"user-agent"_s, u"set-cookie"_s,
                                 u"content-type"_s, u"referer"_s}));
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
