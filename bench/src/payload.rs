//! Building messages and turning them into requests, without sockets: the sender's pure core,
//! timed apart so that a slower builder shows on its own.

use std::time::Instant;

use mpns::{ChannelUri, FlipTile, Message, Toast, WireRequest};

use crate::report::{emit, fmt_num, Row};
use crate::Res;

pub(crate) fn payload() -> Res<()> {
    let channel: ChannelUri = "http://127.0.0.1:9/throttledthirdparty/01.00/AAFbc87n"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let rate = |what: &str, build: &dyn Fn(u64) -> Message| {
        let n: u64 = 200_000;
        // Warm-up.
        for i in 0..1000 {
            std::hint::black_box(WireRequest::notification(
                &channel,
                &build(i),
                uuid::Uuid::nil(),
            ));
        }
        let t0 = Instant::now();
        let mut bytes = 0usize;
        for i in 0..n {
            let message = build(i);
            let request = WireRequest::notification(&channel, &message, uuid::Uuid::new_v4());
            bytes += request.body.len();
            std::hint::black_box(request);
        }
        let secs = t0.elapsed().as_secs_f64();
        emit(Row::info(
            format!("payload: {what} built + WireRequest, per second"),
            fmt_num(n as f64 / secs),
        ));
        std::hint::black_box(bytes);
    };
    rate("Toast (text1, text2, param)", &|i| {
        Toast::new()
            .text1("Game Update")
            .text2(format!("Level {i} released"))
            .param("/Views/Game.xaml?level=1&from=toast")
            .build()
            .expect("a valid toast")
    });
    rate("FlipTile (7 properties)", &|i| {
        FlipTile::new()
            .title("Oslo")
            .count((i % 100) as i64)
            .background_image("/Images/front.png")
            .back_background_image("/Images/back.png")
            .back_title("Tomorrow")
            .back_content(format!("Rain, {i} mm"))
            .wide_back_content("Rain all day & wind")
            .build()
            .expect("a valid flip tile")
    });
    Ok(())
}
