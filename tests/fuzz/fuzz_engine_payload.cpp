// libFuzzer target: Engine.IO polling payloads and single packets (protocol.md 1.3).
// Invariants: no crash; on success, re-encoding and decoding again gives the same packets; a
// failed payload decode returns only packets that each re-encode to valid records.
#include "protocol/enginepacket.h"

#include <cstdlib>

using namespace SocketIo::Protocol;

static void check(bool condition)
{
    if (!condition)
        std::abort();
}

static bool samePackets(const QList<EnginePacket> &a, const QList<EnginePacket> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a.at(i).type != b.at(i).type || a.at(i).binary != b.at(i).binary
            || a.at(i).data != b.at(i).data)
            return false;
    }
    return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));

    QList<EnginePacket> packets;
    QString error;
    const bool ok = decodePayload(input, &packets, &error);
    check(ok || !error.isEmpty());
    if (ok) {
        const QByteArray again = encodePayload(packets);
        QList<EnginePacket> redecoded;
        check(decodePayload(again, &redecoded));
        check(samePackets(packets, redecoded));
        qsizetype expected = packets.size() - 1;
        for (const EnginePacket &p : packets)
            expected += encodedPayloadSize(p);
        check(again.size() == expected);
    }
    for (const EnginePacket &p : std::as_const(packets)) {
        EnginePacket single;
        check(decodeEnginePacket(encodeEnginePacket(p), &single));
    }

    EnginePacket packet;
    if (decodeEnginePacket(input, &packet)) {
        EnginePacket again;
        check(decodeEnginePacket(encodeEnginePacket(packet), &again));
        check(again.type == packet.type && again.binary == packet.binary && again.data == packet.data);
    }
    return 0;
}
